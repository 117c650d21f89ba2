// Package cliflag words the flag package's errors the way imapprobe's
// commands print them: with the --name the help uses and what the flag
// takes, on one line.
package cliflag

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// The patterns compile on first use: every run of imapprobe would pay
// for them at start-up, and only a bad flag needs them.
var (
	badValue = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^invalid (?:boolean )?value "(.*)" for (?:flag )?-([\w-]+): (.*)$`)
	})
	flagName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`-([\w-]+)$`) })
)

// Explain rewords err from flag.FlagSet.Parse. wants says what a flag
// takes ("want a duration such as 10s"), where the flag package only says
// "parse error"; it may be nil.
func Explain(err error, wants map[string]string) string {
	msg := err.Error()
	if m := badValue().FindStringSubmatch(msg); m != nil {
		why := m[3]
		if w, ok := wants[m[2]]; ok && why == "parse error" {
			why = w
		} else if strings.HasPrefix(msg, "invalid boolean") {
			why = "want true or false, or just " + Dashes(m[2])
		}
		return fmt.Sprintf("%s %q: %s", Dashes(m[2]), m[1], why)
	}
	name := ""
	if m := flagName().FindStringSubmatch(msg); m != nil {
		name = Dashes(m[1])
	}
	switch {
	case strings.HasPrefix(msg, "flag provided but not defined"):
		return "unknown flag " + name
	case strings.HasPrefix(msg, "flag needs an argument"):
		return name + " needs a value"
	}
	return msg
}

// Dashes spells a flag as the help does: -4, --timeout.
func Dashes(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// OneLine folds s onto one line, so that an error from below (a YAML
// parser, a TLS library) keeps the one-line rule.
func OneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
