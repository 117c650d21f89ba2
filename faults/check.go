package faults

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// A fault's fields are checked, and put in canonical form, by its check
// method, whichever form they came in: Parse fills them from the text
// syntax and Unmarshal from JSON, and both then call validate. So the two
// forms accept exactly the same faults, and neither reads the other's
// syntax into a field (a JSON text is never re-parsed for ";times=1").

// fieldError is a bad field value: which field (its JSON name), what is
// wrong and how to fix it. Parse and Unmarshal word it for their form.
type fieldError struct {
	field, problem, hint string
}

// checker is implemented by every fault type.
type checker interface {
	// check validates the fields and rewrites them canonically (upper-case
	// command names, lower-case variants).
	check() *fieldError
}

// validate checks f's fields, its scope, and that a user scope can match.
func validate(f Fault) *fieldError {
	if e := f.(checker).check(); e != nil {
		return e
	}
	s := f.Scope()
	switch {
	case s.Nth < 0:
		return &fieldError{"nth", fmt.Sprintf("bad nth %d", s.Nth), "want a whole number of 1 or more, or none"}
	case s.Since < 0:
		return &fieldError{"since", fmt.Sprintf("bad since %d", s.Since), "want a whole number of 1 or more, or none"}
	case s.Nth > 0 && s.Since > 0:
		return &fieldError{"since", "nth and since together", "nth=N acts on the Nth occurrence alone, since=N on it and every later one: give one"}
	case s.Times < 0:
		return &fieldError{"times", fmt.Sprintf("bad times %d", s.Times), "want a whole number of 1 or more, or none"}
	case strings.ContainsAny(s.User, ";\r\n"):
		return &fieldError{"user", fmt.Sprintf("bad user %q", s.User), `a user name here may not hold ";" or a line break`}
	}
	if b, ok := f.(beforeUser); ok && s.User != "" && b.firesBeforeUser() {
		return &fieldError{"user", fmt.Sprintf("user=%s can never match", s.User),
			"this fault fires before the client names a user; drop the user option"}
	}
	return nil
}

// checkText refuses a line break in a text field: a spec, and every
// line a fault sends, is one line.
func checkText(field, text string) *fieldError {
	if strings.ContainsAny(text, "\r\n") {
		return &fieldError{field, fmt.Sprintf("line break in %s %q", field, text), "a fault's text is one line"}
	}
	return nil
}

// badUTF8 returns the offset of the first byte that is not UTF-8, or -1.
func badUTF8(b []byte) int {
	for i := 0; i < len(b); {
		n := runeLen(b[i:])
		if n == 0 {
			return i
		}
		i += n
	}
	return -1
}

// asciiUpper upper-cases ASCII letters only, so that no other character
// folds into a valid name (as U+017F "ſ" does into "S").
func asciiUpper(s string) string { return shiftASCII(s, 'a', 'z', 'A'-'a') }

// asciiLower lower-cases ASCII letters only.
func asciiLower(s string) string { return shiftASCII(s, 'A', 'Z', 'a'-'A') }

// shiftASCII adds by to every character from lo to hi.
func shiftASCII(s string, lo, hi, by rune) string {
	return strings.Map(func(r rune) rune {
		if lo <= r && r <= hi {
			return r + by
		}
		return r
	}, s)
}

// runeLen is the length of the valid UTF-8 character b starts with, or 0.
func runeLen(b []byte) int {
	r, n := utf8.DecodeRune(b)
	if r == utf8.RuneError && n <= 1 {
		return 0
	}
	return n
}
