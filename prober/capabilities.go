package prober

import (
	"sort"
	"strings"
)

// capSet holds capabilities as the server spelled them, keyed upper-case.
type capSet struct {
	list []string
	has  map[string]bool
}

func parseCaps(tokens []string) capSet {
	c := capSet{has: map[string]bool{}}
	for _, t := range tokens {
		if t == "" {
			continue
		}
		c.list = append(c.list, t)
		c.has[strings.ToUpper(t)] = true
	}
	return c
}

// Has reports whether the capability is present (case-insensitive).
func (c capSet) Has(name string) bool { return c.has[strings.ToUpper(name)] }

// mechanisms returns the AUTH= mechanisms, upper-case, sorted.
func (c capSet) mechanisms() []string {
	var out []string
	for k := range c.has {
		if m, ok := strings.CutPrefix(k, "AUTH="); ok {
			out = append(out, m)
		}
	}
	sort.Strings(out)
	return out
}

// capsFromCode extracts [CAPABILITY ...] from a response text, or nil.
func capsFromCode(text string) []string {
	i := indexFoldASCII(text, "[CAPABILITY ")
	if i < 0 {
		return nil
	}
	rest := text[i+len("[CAPABILITY "):]
	end := strings.IndexByte(rest, ']')
	if end < 0 {
		return nil
	}
	return strings.Fields(rest[:end])
}

// indexFoldASCII is strings.Index ignoring case for an ASCII needle. It
// indexes text itself: strings.ToUpper would turn each invalid UTF-8 byte
// into three, so its offsets do not fit a hostile server's bytes.
func indexFoldASCII(text, needle string) int {
	for i := 0; i+len(needle) <= len(text); i++ {
		if strings.EqualFold(text[i:i+len(needle)], needle) {
			return i
		}
	}
	return -1
}
