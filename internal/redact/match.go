package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

// pattern is one form of a registered secret, in ASCII lower case.
type pattern struct {
	low []byte
	// b64 marks a base64 form: a match masks the whole base64 run around
	// it, since the characters next to it carry bits of the secret too.
	b64 bool
	// open marks the start of a secret whose end was never seen (learnt
	// from a line cut short): a match masks the token characters after
	// it too, where the rest of the secret would be.
	open bool
}

// minInner is the shortest base64 inner form registered (a secret of 6
// bytes or more): shorter ones would mask unrelated base64.
const minInner = 8

// minCut is the shortest tail of a cut text that is masked when it begins
// a secret: one byte of a secret tells nothing, and masking every
// single-letter match would blur every cut line.
const minCut = 2

// buildPatterns turns the registered secrets into the forms searched for:
// each secret raw, Go-quoted and JSON-escaped, and the inner part of the
// base64 of each of those forms (as given, upper- and lower-cased) at each
// of the three alignments, which occurs in the base64 of any text that
// holds it (a challenge quoting the token, a SASL payload).
// A registered base64 form that holds a shorter secret's inner part is
// left out: that part masks it already.
func buildPatterns(secrets []string) []pattern {
	var regs []string
	seen := map[string]bool{}
	for _, sec := range secrets {
		if low := lowerASCII(sec); len(sec) >= minSecretLen && !seen[low] {
			seen[low] = true
			regs = append(regs, sec)
		}
	}
	slices.SortStableFunc(regs, func(a, b string) int { return len(a) - len(b) })
	var out []pattern
	have := map[string]bool{}
	add := func(s string, b64 bool) {
		if low := lowerASCII(s); !have[low] {
			have[low] = true
			out = append(out, pattern{low: []byte(low), b64: b64})
		}
	}
	for _, r := range regs {
		if isBase64(r) && covered(out, lowerASCII(r)) {
			continue
		}
		for _, v := range variants(r) {
			add(v, false)
			// base64 is not case-blind: encode the cases a server
			// echoes in (as given, upper and lower) each
			for _, c := range []string{v, strings.ToUpper(v), strings.ToLower(v)} {
				for _, in := range innerForms(c) {
					add(in, true)
				}
			}
		}
	}
	return out
}

// covered reports whether low holds the base64 inner form of a secret
// already registered.
func covered(pats []pattern, low string) bool {
	for _, p := range pats {
		if p.b64 && strings.Contains(low, string(p.low)) {
			return true
		}
	}
	return false
}

// variants returns secret as it appears raw, Go-quoted and JSON-escaped
// (with and without "\/", and with encoding/json's HTML escapes).
func variants(secret string) []string {
	q := strconv.Quote(secret)
	j, _ := json.Marshal(secret)
	var b strings.Builder
	for _, r := range secret {
		switch {
		case r == '"' || r == '\\' || r == '/':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20:
			b.WriteString(`\u00`)
			b.WriteString(strconv.FormatInt(int64(r)>>4, 16))
			b.WriteString(strconv.FormatInt(int64(r)&15, 16))
		default:
			b.WriteRune(r)
		}
	}
	out := []string{secret}
	for _, v := range []string{q[1 : len(q)-1], string(j[1 : len(j)-1]), b.String()} {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// innerForms returns the base64 characters that depend on v alone, for v
// starting at each byte offset modulo 3 in the encoded text.
func innerForms(v string) []string {
	var out []string
	for off, skip := range [3]int{0, 2, 3} {
		enc := base64.StdEncoding.EncodeToString(append(make([]byte, off), v...))
		if end := 8 * (off + len(v)) / 6; end-skip >= minInner {
			out = append(out, enc[skip:end])
		}
	}
	return out
}

func isBase64(s string) bool {
	for i := 0; i < len(s); i++ {
		if !b64Char(s[i]) && s[i] != '=' {
			return false
		}
	}
	return true
}

func b64Char(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '/'
}

// find appends the ranges of low that hold a secret. With cut, low was cut
// short of its end, so a tail that begins a secret is masked too.
func find(pats []pattern, low []byte, rs [][2]int, cut bool) [][2]int {
	for _, p := range pats {
		for from := 0; from < len(low); {
			i := bytes.Index(low[from:], p.low)
			if i < 0 {
				break
			}
			a, b := from+i, from+i+len(p.low)
			if p.b64 {
				a, b = b64Run(low, a, b)
			}
			for p.open && b < len(low) && tokenChar(low[b]) {
				b++
			}
			rs = append(rs, [2]int{a, b})
			from += i + 1
		}
		if cut {
			if a := tailPrefix(low, p.low); a >= 0 {
				if p.b64 {
					a, _ = b64Run(low, a, len(low))
				}
				rs = append(rs, [2]int{a, len(low)})
			}
		}
	}
	return rs
}

// tokenChar reports a byte that may continue a password or token: any
// printable ASCII but the blank and the quote, parentheses and brackets
// that end one in an IMAP line or a JSON string.
func tokenChar(c byte) bool {
	return c > ' ' && c < 0x7f && !strings.ContainsRune(`"()[]{}\,`, rune(c))
}

// tailPrefix returns where the longest tail of low (minCut bytes or more)
// that is a proper prefix of pat begins, or -1.
func tailPrefix(low, pat []byte) int {
	for a := max(0, len(low)-len(pat)+1); a <= len(low)-minCut; a++ {
		j := bytes.IndexByte(low[a:len(low)-minCut+1], pat[0])
		if j < 0 {
			return -1
		}
		a += j
		if bytes.HasPrefix(pat, low[a:]) {
			return a
		}
	}
	return -1
}

// b64Run widens [a, b) to the base64 run around it, padding included.
func b64Run(low []byte, a, b int) (int, int) {
	for a > 0 && b64Char(low[a-1]) {
		a--
	}
	for b < len(low) && b64Char(low[b]) {
		b++
	}
	for b < len(low) && low[b] == '=' {
		b++
	}
	return a, b
}

// mask replaces the ranges of text by Marker, overlapping or adjacent
// ranges by one.
func mask(text string, rs [][2]int) string {
	slices.SortFunc(rs, func(x, y [2]int) int { return x[0] - y[0] })
	var b strings.Builder
	b.Grow(len(text))
	at := 0
	for i := 0; i < len(rs); {
		a, e := rs[i][0], rs[i][1]
		for i++; i < len(rs) && rs[i][0] <= e; i++ {
			e = max(e, rs[i][1])
		}
		b.WriteString(text[at:a])
		b.WriteString(Marker)
		at = e
	}
	b.WriteString(text[at:])
	return b.String()
}

// foldInto writes s in ASCII lower case into buf: offsets stay aligned
// with s, and the search needs no allocation per line.
func foldInto(buf []byte, s string) []byte {
	buf = append(buf[:0], s...)
	for i, c := range buf {
		if c >= 'A' && c <= 'Z' {
			buf[i] = c + 'a' - 'A'
		}
	}
	return buf
}

// lowerASCII folds ASCII letters only.
func lowerASCII(s string) string {
	return string(foldInto(nil, s))
}
