// Package redact masks credentials in IMAP protocol lines so that transcripts
// and logs can be shown and stored. It is side-aware and works for either end
// of a connection: a client taps what it writes as Client lines and what it
// reads as Server lines; a server does the opposite.
//
// A Session follows one connection. It masks
//   - the password argument of LOGIN (atom, quoted or literal form),
//   - the SASL initial response of AUTHENTICATE (SASL-IR),
//   - every client line of an AUTHENTICATE exchange (continuation responses,
//     which carry PLAIN, XOAUTH2 and OAUTHBEARER credentials),
//   - a server continuation, in SASL or not, whose base64 decodes to text
//     holding a registered secret (raw or behind JSON escapes, in keys too),
//   - as a second line of defence, any occurrence of a secret
//     registered with NewSession (see Encodings): in any ASCII case,
//     behind JSON escapes, and inside any base64 text;
//   - and, in a learning session (FreshLearning, for a proxy that knows no
//     secret in advance), each secret its client lines carried, in the
//     same forms, from the line that carried it on.
//
// Text cut short (LineCut, Peek) also loses a tail that may begin a
// secret; mask before cutting, never after.
package redact

import (
	"bytes"
	"strconv"
	"strings"
	"sync"
)

// Marker replaces every masked secret.
const Marker = "[redacted]"

// Side says which peer sent a line.
type Side uint8

const (
	// Client marks lines sent by the IMAP client.
	Client Side = iota
	// Server marks lines sent by the IMAP server.
	Server
)

// minSecretLen keeps very short secrets from masking unrelated text; the
// structural rules still mask them where the protocol carries them.
const minSecretLen = 3

// Session masks the secrets of one IMAP connection. Lines must be fed in the
// order they crossed the wire. It is safe for concurrent use.
type Session struct {
	mu sync.Mutex
	// the registered secrets' forms: replaced, never changed in place,
	// when a learning session learns one (learn.go)
	pats    []pattern
	given   []pattern   // those it was made with: pats less the learnt
	learnt  [][]pattern // the learnt secrets' forms, oldest first
	saslTag string      // tag of the AUTHENTICATE exchange in progress
	inSASL  bool
	// learning (FreshLearning): the exchange's mechanism, how many client
	// responses it has had, and LOGIN's user (its first response)
	learn              bool
	saslMech, saslUser string
	saslStep           int
	lineCut            bool // the client line being masked was cut short
	// scratch space for the search, reused under mu: one set for the
	// text, one for a base64 payload decoded from it
	fold, dfold []byte
	rs, us, drs [][2]int
	un, dun     unescaped
}

// NewSession returns a Session that additionally masks every occurrence of
// the given secrets (empty and very short ones are ignored), without
// regard to ASCII case, Go-quoted or JSON-escaped, and inside any base64
// text (see buildPatterns).
func NewSession(secrets ...string) *Session {
	pats := buildPatterns(secrets)
	return &Session{pats: pats, given: pats}
}

// Fresh returns a new Session that masks the same secrets, at the start
// of its own connection: the forms NewSession derives are shared, so a
// server builds them once, not per connection.
func (s *Session) Fresh() *Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	return &Session{pats: s.pats, given: s.pats}
}

// Line returns the masked form of one logical line: a command or response
// without its final CRLF, with any literal contents inline after their
// {N}CRLF announcement.
func (s *Session) Line(from Side, line []byte) string {
	return s.line(from, line, false, true)
}

// LineCut is Line for a line of which only the start was kept (or that
// ended early): a tail that may begin a secret is masked too, so that no
// prefix of a secret survives the cut.
func (s *Session) LineCut(from Side, line []byte) string {
	return s.line(from, line, true, true)
}

// Peek is LineCut without its effect on the session's state: for a line
// that is still arriving or will never complete, quoted in an error.
func (s *Session) Peek(from Side, line []byte) string {
	return s.line(from, line, true, false)
}

func (s *Session) line(from Side, line []byte, cut, advance bool) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	tag, in, learn, step, user := s.saslTag, s.inSASL, s.learn, s.saslStep, s.saslUser
	if !advance {
		s.learn = false // a line still arriving teaches nothing
	}
	var out string
	if from == Client {
		s.lineCut = cut
		out = s.clientLine(line)
	} else {
		out = s.serverLine(line, cut)
	}
	if !advance {
		s.saslTag, s.inSASL, s.learn, s.saslStep, s.saslUser = tag, in, learn, step, user
	}
	return s.scrub(out, cut)
}

// Scrub masks the registered secrets in free text such as error messages.
// Scrub before cutting text short: a cut can split a secret.
func (s *Session) Scrub(text string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.scrub(text, false)
}

// scrub replaces every registered secret, matched without regard to ASCII
// case (a server may upper-case what it echoes: a capability, a flag),
// also behind JSON escapes. With cut, a tail that begins a secret goes too.
func (s *Session) scrub(text string, cut bool) string {
	if len(s.pats) == 0 {
		return text
	}
	defer s.release()
	s.fold = foldInto(s.fold, text)
	rs := find(s.pats, s.fold, s.rs[:0], cut)
	if hasEscape(text) && s.un.unescape(text) {
		s.us = find(s.pats, s.un.low, s.us[:0], cut)
		for _, r := range s.us {
			e := s.un.end[r[1]-1]
			if r[1] == len(s.un.low) {
				e = len(text) // with a cut escape after it
			}
			rs = append(rs, [2]int{s.un.start[r[0]], e})
		}
	}
	// base64 whose text holds a secret only behind JSON escapes (or in
	// a case the inner forms miss): decode each long run and look
	for a := 0; a < len(text); {
		for a < len(text) && !b64Char(text[a]) {
			a++
		}
		b := a
		for b < len(text) && b64Char(text[b]) {
			b++
		}
		if b-a >= minRun && s.runHolds(text[a:b], cut && b == len(text)) {
			rs = append(rs, [2]int{a, b})
		}
		a = b
	}
	s.rs = rs
	if len(rs) == 0 {
		return text
	}
	return mask(text, rs)
}

// minRun is the shortest base64 run scrub decodes: 12 bytes, about the
// shortest JSON that can quote a secret.
const minRun = 16

// runHolds decodes a base64 run at each of its four possible starts.
func (s *Session) runHolds(run string, cut bool) bool {
	for off := range 4 {
		p := run[off:]
		if raw, ok := decodeB64([]byte(p[:len(p)/4*4]), false); ok && s.holds(raw, cut) {
			return true
		}
	}
	return false
}

// holds reports whether decoded text (a base64 payload) holds a secret,
// raw or behind JSON escapes. It has scratch space of its own, since
// scrub calls it in the middle of a search.
func (s *Session) holds(raw []byte, cut bool) bool {
	text := string(raw)
	s.dfold = foldInto(s.dfold, text)
	if s.drs = find(s.pats, s.dfold, s.drs[:0], cut); len(s.drs) > 0 {
		return true
	}
	if s.dun.unescape(text) {
		s.drs = find(s.pats, s.dun.low, s.drs[:0], cut)
	}
	return len(s.drs) > 0
}

// release drops scratch space grown by a long line, so that an idle
// connection pins no more than a few KiB.
func (s *Session) release() {
	const keep = 8 << 10
	if cap(s.fold) > keep || cap(s.dfold) > keep {
		s.fold, s.dfold = nil, nil
	}
	if cap(s.un.low) > keep || cap(s.dun.low) > keep {
		s.un, s.dun = unescaped{}, unescaped{}
	}
	s.rs, s.us, s.drs = s.rs[:0], s.us[:0], s.drs[:0]
}

func (s *Session) serverLine(line []byte, cut bool) string {
	if len(line) > 0 && line[0] == '+' {
		// a continuation, in SASL or not (a broken server answering
		// LOGIN with the password in base64): mask one that decodes to
		// text holding a secret, such as an error JSON quoting the token
		if raw, ok := decodeB64(line[1:], cut); ok && s.holds(raw, cut) {
			return "+ " + Marker
		}
		return string(line)
	}
	if !s.inSASL || len(line) == 0 {
		return string(line)
	}
	tag, _, _ := bytes.Cut(line, []byte(" "))
	// the exchange's tagged end, or any tagged line: a server answers
	// nothing else in an exchange, so one that never began (a malformed
	// AUTHENTICATE the server refused) must not hold the session in it
	if string(tag) == s.saslTag || string(tag) != "*" || isBye(line) {
		s.inSASL = false
	}
	return string(line)
}

// startsCommand reports whether line is TAG LOGIN or TAG AUTHENTICATE,
// which no SASL response (base64, or "*") can be.
func startsCommand(line []byte) bool {
	tag, rest, ok := cutBlank(line)
	if !ok || len(tag) == 0 {
		return false
	}
	cmd, _, _ := cutBlank(rest)
	return bytes.EqualFold(cmd, []byte("LOGIN")) || bytes.EqualFold(cmd, []byte("AUTHENTICATE"))
}

func isBye(line []byte) bool {
	return len(line) >= 5 && strings.EqualFold(string(line[2:5]), "BYE")
}

func (s *Session) clientLine(line []byte) string {
	if s.inSASL && startsCommand(line) {
		s.inSASL = false // a SASL response is base64: this is a new command
	}
	if s.inSASL {
		if string(bytes.TrimSpace(line)) == "*" {
			return "*" // cancellation carries no secret
		}
		if s.learn {
			s.learnSASL(line)
		}
		return Marker
	}
	tag, rest, ok := cutBlank(line)
	if !ok {
		return string(line)
	}
	cmd, args, hasArgs := cutBlank(rest)
	switch {
	case bytes.EqualFold(cmd, []byte("LOGIN")):
		if !hasArgs {
			return string(line)
		}
		if s.learn {
			s.learnLogin(args)
		}
		n := astringLen(args)
		if n <= 0 || n >= len(args) {
			return string(tag) + " " + string(cmd) + " " + Marker
		}
		return string(tag) + " " + string(cmd) + " " + string(args[:n]) + " " + Marker
	case bytes.EqualFold(cmd, []byte("AUTHENTICATE")):
		s.inSASL, s.saslTag = true, string(tag)
		if !hasArgs {
			return string(line)
		}
		mech, ir, hasIR := bytes.Cut(args, []byte(" "))
		s.saslMech, s.saslStep, s.saslUser = strings.ToUpper(string(mech)), 0, ""
		if !hasIR || len(ir) == 0 {
			return string(line)
		}
		if s.learn {
			s.learnSASL(ir)
		}
		return string(tag) + " " + string(cmd) + " " + string(mech) + " " + Marker
	}
	return string(line)
}

// astringLen returns the length of the IMAP astring at the start of b
// (atom, quoted string or literal with inline content), or -1.
func astringLen(b []byte) int {
	if len(b) == 0 {
		return -1
	}
	switch b[0] {
	case '"':
		for i := 1; i < len(b); i++ {
			switch b[i] {
			case '\\':
				i++
			case '"':
				return i + 1
			}
		}
		return -1
	case '{', '~':
		end := bytes.IndexByte(b, '}')
		if end < 0 {
			return -1
		}
		num := strings.TrimSuffix(strings.TrimLeft(string(b[:end]), "~{"), "+")
		size, err := strconv.Atoi(num)
		if err != nil || size < 0 {
			return -1
		}
		n := end + 1
		if !bytes.HasPrefix(b[n:], []byte("\r\n")) {
			return -1
		}
		n += 2 + size
		if n > len(b) {
			return -1
		}
		return n
	}
	if i := bytes.IndexAny(b, " \t"); i >= 0 {
		return i
	}
	return len(b)
}

// cutBlank splits b at its first run of spaces or tabs: servers accept
// both, so a masking rule must too.
func cutBlank(b []byte) (before, after []byte, found bool) {
	i := bytes.IndexAny(b, " \t")
	if i < 0 {
		return b, nil, false
	}
	j := i
	for j < len(b) && (b[j] == ' ' || b[j] == '\t') {
		j++
	}
	return b[:i], b[j:], true
}
