package faults

import (
	"fmt"
	"strconv"
	"strings"
)

// The texts of reply, bye, greeting and rewrite faults are free: bare, a
// text runs to the scope options (read from the end of the spec) or, for
// rewrite's OLD, to the first ">". A text that must hold what a bare one
// cannot (a tail such as ";times=1", a ">" in OLD, a leading double quote)
// is written in double quotes, where \" is a quote and \\ a backslash:
//
//	reply:SELECT="NO [CANNOT] a;times=1";times=2
//	rewrite:LIST="a>b">"c"
//
// Spec quotes a text only when its bare form would read back differently.

// isScopeOption reports whether seg (what follows a ";") is read as a
// scope option: its name, up to "=", is a scope key.
func isScopeOption(seg string) bool {
	key, _, _ := strings.Cut(seg, "=")
	return key == "user" || key == "nth" || key == "since" || key == "times"
}

// splitScope splits a bare final text from the scope options that end
// it: each trailing ";KEY=VALUE" whose KEY is a scope key, read from the
// end. scope keeps its leading ";".
func splitScope(s string) (text, scope string) {
	end := len(s)
	for {
		i := strings.LastIndexByte(s[:end], ';')
		if i < 0 || !isScopeOption(s[i+1:end]) {
			return s[:end], s[end:]
		}
		end = i
	}
}

// readFinal reads the last text of a spec, quoted or bare, and returns
// the scope options after it.
func readFinal(spec, s string) (text, scope string, err error) {
	if !strings.HasPrefix(s, `"`) {
		text, scope = splitScope(s)
		return text, scope, nil
	}
	text, rest, err := unquote(spec, s)
	if err != nil {
		return "", "", err
	}
	if rest != "" && rest[0] != ';' {
		return "", "", specError(spec, fmt.Sprintf("%q after the closing quote", rest),
			`end the text with its quote, then only ;OPTION=VALUE`)
	}
	return text, rest, nil
}

// readUntil reads a text that ends at sep (bare: the first sep; quoted:
// the closing quote, which sep must follow) and returns what follows sep.
// ok is false when there is no sep.
func readUntil(spec, s string, sep byte) (text, rest string, ok bool, err error) {
	if !strings.HasPrefix(s, `"`) {
		text, rest, ok = strings.Cut(s, string(sep))
		return text, rest, ok, nil
	}
	text, rest, err = unquote(spec, s)
	if err != nil {
		return "", "", false, err
	}
	rest, ok = strings.CutPrefix(rest, string(sep))
	return text, rest, ok, nil
}

// unquote reads the double-quoted text that s starts with.
func unquote(spec, s string) (text, rest string, err error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return b.String(), s[i+1:], nil
		case '\\':
			if i+1 == len(s) || (s[i+1] != '"' && s[i+1] != '\\') {
				return "", "", specError(spec, "bad escape in a quoted text",
					`only \" (a quote) and \\ (a backslash) are escapes`)
			}
			i++
			b.WriteByte(s[i])
		default:
			b.WriteByte(c)
		}
	}
	return "", "", specError(spec, "unclosed quote", `end a quoted text with "`)
}

// quote writes t in double quotes.
func quote(t string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(t) + `"`
}

// finalText is the spec form of a last text: bare when that reads back
// the same, else quoted.
func finalText(t string) string {
	if strings.HasPrefix(t, `"`) {
		return quote(t)
	}
	if i := strings.LastIndexByte(t, ';'); i >= 0 && isScopeOption(t[i+1:]) {
		return quote(t)
	}
	return t
}

// untilText is the spec form of a text that ends at sep.
func untilText(t string, sep byte) string {
	if strings.HasPrefix(t, `"`) || strings.IndexByte(t, sep) >= 0 {
		return quote(t)
	}
	return t
}

// parseScope reads scope options, "" or ";KEY=VALUE" repeated, into o.
func parseScope(spec, s string, o *Scope) error {
	if s == "" {
		return nil
	}
	seen := map[string]bool{}
	for opt := range strings.SplitSeq(s[1:], ";") {
		key, val, _ := strings.Cut(opt, "=")
		if !isScopeOption(opt) {
			return specError(spec, fmt.Sprintf("unknown option %q", opt),
				"valid options: user=NAME, nth=N, since=N, times=N")
		}
		if seen[key] {
			return specError(spec, fmt.Sprintf("repeated option %q", key), "give each option once")
		}
		seen[key] = true
		switch key {
		case "user":
			if val == "" {
				return specError(spec, "empty user", "write user=NAME")
			}
			o.User = val
		default:
			n, err := strconv.Atoi(val)
			if err != nil || n < 1 {
				return specError(spec, fmt.Sprintf("bad %s %q", key, val),
					fmt.Sprintf("want a whole number of 1 or more, e.g. %s=2", key))
			}
			switch key {
			case "nth":
				o.Nth = n
			case "since":
				o.Since = n
			default:
				o.Times = n
			}
		}
	}
	return nil
}

// scopeSuffix is the spec form of s, "" for the zero scope.
func scopeSuffix(s *Scope) string {
	var b strings.Builder
	if s.User != "" {
		b.WriteString(";user=" + s.User)
	}
	if s.Nth > 0 {
		b.WriteString(";nth=" + strconv.Itoa(s.Nth))
	}
	if s.Since > 0 {
		b.WriteString(";since=" + strconv.Itoa(s.Since))
	}
	if s.Times > 0 {
		b.WriteString(";times=" + strconv.Itoa(s.Times))
	}
	return b.String()
}

// cutTarget splits a free-text kind's rest at its first "=", which must
// come before any ";": the command target and the text after "=". usage
// says how to write the spec.
func cutTarget(spec, rest, usage string) (cmd, value string, err error) {
	cmd, value, _, ok := cutName(rest)
	if !ok || cmd == "" {
		return "", "", specError(spec, `missing "="`, usage)
	}
	return cmd, value, nil
}

// cutName splits a free-text kind's ARGS at the first "=" or ";": the
// name before it, and the value after "=" (hasValue) or the scope
// options from ";" on.
func cutName(args string) (name, value, scope string, hasValue bool) {
	i := strings.IndexAny(args, "=;")
	switch {
	case i < 0:
		return args, "", "", false
	case args[i] == ';':
		return args[:i], "", args[i:], false
	}
	return args[:i], args[i+1:], "", true
}
