package fakeserver

import (
	"bytes"
	"slices"
	"strings"
)

// Flags as a real server spells them (issue 11). imapmemserver
// (go-imap v2.0.0-beta.8) stores every flag lower-cased, so the backend
// writes "\seen" and "$junk", which mbsync takes for an unknown system
// flag and then strips from its Maildir. No session hook sees the flags
// the backend writes: FetchWriter is a concrete type that encodes them
// itself, and the flag updates of other sessions are written by
// imapserver's tracker. The one place every such line passes is the
// front, which reads the backend's responses line by line; so the
// spelling is restored there, in the FLAGS list of an untagged FETCH,
// in "* FLAGS (...)" and in "[PERMANENTFLAGS (...)]". Nothing else of a
// line is touched, least of all quoted strings and literals. The front
// shows the rewrite only a response's lines outside literals; the
// backend writes a FETCH's FLAGS right after its UID, before any literal
// (imapmemserver's message.fetch, and writeMessage), so it is always on
// the first line.

// systemFlags are the system flags in the order Dovecot 2.3 lists them,
// keyed by their lower-case form.
var systemFlags = []string{`\Answered`, `\Flagged`, `\Deleted`, `\Seen`, `\Draft`, `\Recent`}

// keywordSpeller gives a keyword's spelling and its rank (the order
// keywords are listed in) from its lower-case form; ok is false for a
// keyword it does not know.
type keywordSpeller interface {
	spell(lower string) (spelling string, rank int, ok bool)
}

// rewriteFlags respells and orders the flag lists of one backend line
// (with its CRLF), which is not inside a literal. kw may be nil; order is
// the persona's order of the system flags (nil: systemFlags).
func rewriteFlags(line []byte, kw keywordSpeller, order []string) []byte {
	if !bytes.HasPrefix(line, []byte("* ")) {
		return line
	}
	rest := line[2:]
	switch {
	case hasPrefixFold(rest, "FLAGS ("):
		return rewriteListAt(line, 2+len("FLAGS "), kw, order)
	case hasPrefixFold(rest, "OK [PERMANENTFLAGS ("):
		return rewriteListAt(line, 2+len("OK [PERMANENTFLAGS "), kw, order)
	}
	n := 0
	for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
		n++
	}
	if n == 0 || !hasPrefixFold(rest[n:], " FETCH (") {
		return line
	}
	return rewriteFetch(line, 2+n+len(" FETCH ("), kw, order)
}

// rewriteFetch rewrites the FLAGS item of a FETCH response whose items
// start at i, just after its "(". It walks the items, skipping quoted
// strings, and stops at the response's closing parenthesis or at a
// literal's announcement, which can only end the line.
func rewriteFetch(line []byte, i int, kw keywordSpeller, order []string) []byte {
	depth := 1
	for i < len(line) && depth > 0 {
		switch b := line[i]; b {
		case '"':
			end := quotedEnd(line, i)
			if end < 0 {
				return line
			}
			i = end
			continue
		case '{', '\r', '\n':
			return line
		case '(':
			depth++
		case ')':
			depth--
		default:
			if depth == 1 && (line[i-1] == ' ' || line[i-1] == '(') && hasPrefixFold(line[i:], "FLAGS (") {
				list := i + len("FLAGS ")
				out := rewriteListAt(line, list, kw, order)
				// The list is one level deeper; go on after it.
				end := bytes.IndexByte(out[list:], ')')
				if end < 0 {
					return out
				}
				line, i = out, list+end+1
				continue
			}
		}
		i++
	}
	return line
}

// quotedEnd returns the index just after the quoted string starting at i,
// or -1 if it does not end on the line.
func quotedEnd(line []byte, i int) int {
	for j := i + 1; j < len(line); j++ {
		switch line[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		case '\r', '\n':
			return -1
		}
	}
	return -1
}

// rewriteListAt rewrites the parenthesised flag list starting at line[i]
// ("("). A list holding anything but flag atoms is left as it is.
func rewriteListAt(line []byte, i int, kw keywordSpeller, order []string) []byte {
	end := bytes.IndexByte(line[i:], ')')
	if end < 0 {
		return line
	}
	end += i
	body := string(line[i+1 : end])
	var flags []string
	if body != "" {
		flags = strings.Split(body, " ")
	}
	for _, f := range flags {
		if !isFlagAtom(f) {
			return line
		}
	}
	list := strings.Join(orderFlags(flags, kw, order), " ")
	if list == body {
		return line
	}
	out := make([]byte, 0, len(line)-len(body)+len(list))
	out = append(out, line[:i+1]...)
	out = append(out, list...)
	return append(out, line[end:]...)
}

// isFlagAtom reports whether f is a flag as the backend writes one: an
// atom, optionally after "\", or "\*".
func isFlagAtom(f string) bool {
	if f == `\*` {
		return true
	}
	f = strings.TrimPrefix(f, `\`)
	if f == "" {
		return false
	}
	for i := 0; i < len(f); i++ {
		if !isAStringChar(f[i]) || f[i] == ']' {
			return false
		}
	}
	return true
}

// orderFlags spells flags as Dovecot does and lists them in its order:
// the system flags in order (systemFlags if nil), other "\" flags as
// they came, the keywords by rank (unknown ones after, alphabetically),
// then "\*".
func orderFlags(flags []string, kw keywordSpeller, order []string) []string {
	if order == nil {
		order = systemFlags
	}
	var sys, other, wildcard []string
	type keyword struct {
		spelling string
		rank     int
	}
	var kws []keyword
	for _, f := range flags {
		switch {
		case f == `\*`:
			wildcard = append(wildcard, f)
		case strings.HasPrefix(f, `\`):
			if i := slices.IndexFunc(order, func(s string) bool { return strings.EqualFold(s, f) }); i >= 0 {
				sys = append(sys, order[i])
			} else {
				other = append(other, f)
			}
		default:
			k := keyword{spelling: f, rank: -1}
			if kw != nil {
				if s, r, ok := kw.spell(strings.ToLower(f)); ok {
					k = keyword{spelling: s, rank: r}
				}
			}
			kws = append(kws, k)
		}
	}
	slices.SortFunc(sys, func(a, b string) int {
		return slices.Index(order, a) - slices.Index(order, b)
	})
	slices.SortStableFunc(kws, func(a, b keyword) int {
		switch {
		case a.rank >= 0 && b.rank >= 0:
			return a.rank - b.rank
		case a.rank >= 0:
			return -1
		case b.rank >= 0:
			return 1
		}
		return strings.Compare(a.spelling, b.spelling)
	})
	out := append(sys, other...)
	for _, k := range kws {
		out = append(out, k.spelling)
	}
	return append(out, wildcard...)
}

func hasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && strings.EqualFold(string(b[:len(prefix)]), prefix)
}

// rewriteFlags applies rewriteFlags with the keywords of the mail the
// connection's login opened.
func (c *conn) rewriteFlags(line []byte) []byte {
	if !bytes.HasPrefix(line, []byte("* ")) || !bytes.Contains(line, []byte("FLAGS")) {
		return line
	}
	var kw keywordSpeller
	if st := c.boundStore(); st != nil {
		kw = st.keywords
	}
	return rewriteFlags(line, kw, c.persona.spec.systemFlags)
}
