package redact

import (
	"bytes"
	"encoding/base64"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// decodeB64 decodes a continuation's payload, padded or not. With cut, the
// payload was cut short: its complete groups are decoded.
func decodeB64(p []byte, cut bool) ([]byte, bool) {
	p = bytes.TrimRight(bytes.TrimSpace(p), "=")
	if cut {
		p = p[:len(p)/4*4]
	}
	if len(p) == 0 {
		return nil, false
	}
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		if raw, err := enc.DecodeString(string(p)); err == nil {
			return raw, true
		}
	}
	return nil, false
}

// hasEscape reports whether text may hold a JSON escape: a backslash
// before one of "\/bfnrtu. IMAP's flags (\Seen, \HasNoChildren) do not.
func hasEscape(text string) bool {
	for {
		i := strings.IndexByte(text, '\\')
		if i < 0 || i+1 >= len(text) {
			return false
		}
		if strings.IndexByte(`"\\/bfnrtu`, text[i+1]) >= 0 {
			return true
		}
		text = text[i+1:]
	}
}

// unescaped is text with its JSON escapes (\/, \", \u0041, surrogate
// pairs) decoded, in ASCII lower case, and for each of its bytes the
// range of text it came from.
type unescaped struct {
	low        []byte
	start, end []int
}

// unescape decodes the JSON escapes anywhere in text: in keys as in
// values, and in text that is not valid JSON (cut, or with garbage
// around it). ok is false when text holds no escape.
func (u *unescaped) unescape(text string) (ok bool) {
	u.low, u.start, u.end = u.low[:0], u.start[:0], u.end[:0]
	put := func(b string, from, to int) {
		for _, c := range []byte(b) {
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			u.low = append(u.low, c)
			u.start, u.end = append(u.start, from), append(u.end, to)
		}
	}
	for i := 0; i < len(text); {
		r, n := rune(0), 0
		if text[i] == '\\' && i+1 < len(text) {
			r, n = jsonEscape(text[i:])
		}
		if n == 0 && partialEscape(text[i:]) {
			break // text was cut inside an escape: its tail is the cut
		}
		if n == 0 {
			put(text[i:i+1], i, i+1)
			i++
			continue
		}
		ok = true
		put(string(r), i, i+n)
		i += n
	}
	return ok
}

// jsonEscape decodes the escape at the start of b: the rune and the bytes
// it takes, or n 0 when b starts with no valid escape.
func jsonEscape(b string) (r rune, n int) {
	switch b[1] {
	case '"', '\\', '/':
		return rune(b[1]), 2
	case 'b':
		return '\b', 2
	case 'f':
		return '\f', 2
	case 'n':
		return '\n', 2
	case 'r':
		return '\r', 2
	case 't':
		return '\t', 2
	case 'u':
		r, ok := hex4(b[2:])
		if !ok {
			return 0, 0
		}
		if utf16.IsSurrogate(r) {
			if len(b) >= 12 && b[6] == '\\' && b[7] == 'u' {
				if lo, ok := hex4(b[8:]); ok {
					if c := utf16.DecodeRune(r, lo); c != utf8.RuneError {
						return c, 12
					}
				}
			}
			return utf8.RuneError, 6
		}
		return r, 6
	}
	return 0, 0
}

// partialEscape reports whether b, the end of text, is the start of an
// escape that a cut took the rest of: a backslash, or "\u" and up to
// three hex digits.
func partialEscape(b string) bool {
	if b == `\` {
		return true
	}
	if len(b) < 2 || len(b) > 5 || b[:2] != `\u` {
		return false
	}
	_, ok := hex4(b[2:] + "0000"[len(b)-2:])
	return ok
}

func hex4(b string) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range []byte(b[:4]) {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}
