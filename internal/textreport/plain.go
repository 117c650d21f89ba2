package textreport

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode/utf8"
)

// UTF8Locale reports whether the locale's character set is UTF-8, as the
// C library decides it: the first of LC_ALL, LC_CTYPE and LANG that is
// set. Unset, "C" and "POSIX" are ASCII.
func UTF8Locale(env func(string) string) bool {
	for _, k := range []string{"LC_ALL", "LC_CTYPE", "LANG"} {
		if v := env(k); v != "" {
			v = strings.ToLower(v)
			return strings.Contains(v, "utf-8") || strings.Contains(v, "utf8")
		}
	}
	return false
}

// PlainWriters wraps stdout and stderr so that, outside a UTF-8 locale, no
// byte above 0x7F reaches them.
func PlainWriters(env func(string) string, stdout, stderr io.Writer) (io.Writer, io.Writer) {
	if UTF8Locale(env) {
		return stdout, stderr
	}
	return &asciiWriter{w: stdout}, &asciiWriter{w: stderr}
}

// IsPlain reports whether w is limited to ASCII, so that the report uses
// OK/FAIL/WARN and "us" rather than symbols that would come out escaped.
func IsPlain(w io.Writer) bool {
	for {
		switch v := w.(type) {
		case *asciiWriter:
			return true
		case interface{ Underlying() io.Writer }:
			w = v.Underlying()
		default:
			return false
		}
	}
}

// asciiWriter escapes every non-ASCII rune as \uXXXX (valid inside JSON
// strings too, where it means the same) and every invalid byte as \xNN.
// A rune split across two writes is held back until it is complete.
type asciiWriter struct {
	mu      sync.Mutex
	w       io.Writer
	pending []byte
}

func (a *asciiWriter) Write(p []byte) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	b := append(a.pending, p...)
	a.pending = nil
	var out strings.Builder
	for len(b) > 0 {
		if b[0] < utf8.RuneSelf {
			out.WriteByte(b[0])
			b = b[1:]
			continue
		}
		if !utf8.FullRune(b) && len(b) < utf8.UTFMax {
			a.pending = append([]byte(nil), b...)
			break
		}
		r, n := utf8.DecodeRune(b)
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&out, `\x%02x`, b[0])
		case r > 0xFFFF:
			r -= 0x10000
			fmt.Fprintf(&out, `\u%04x\u%04x`, 0xD800+(r>>10), 0xDC00+(r&0x3FF))
		default:
			fmt.Fprintf(&out, `\u%04x`, r)
		}
		b = b[n:]
	}
	if _, err := io.WriteString(a.w, out.String()); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Underlying is the writer under the escaping, which IsPlain, IsTTY and
// UseColor look through; a wrapper of the caller's may have it too.
func (a *asciiWriter) Underlying() io.Writer { return a.w }
