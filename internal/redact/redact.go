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
//   - and, as a second line of defence, any occurrence of a known secret
//     registered with NewSession (see Encodings), also inside a base64
//     SASL challenge from the server.
package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/imapprobe/imapprobe/internal/authmech"
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
	mu      sync.Mutex
	saslTag string // tag of the AUTHENTICATE exchange in progress
	inSASL  bool
	lower   []string // the registered secrets, ASCII lower-case
}

// NewSession returns a Session that additionally masks every occurrence of
// the given secrets (empty and very short ones are ignored).
func NewSession(secrets ...string) *Session {
	s := &Session{}
	seen := map[string]bool{}
	for _, sec := range secrets {
		if low := lowerASCII(sec); len(sec) >= minSecretLen && !seen[low] {
			seen[low] = true
			s.lower = append(s.lower, low)
		}
	}
	// longest first, so that a secret inside a longer one's encoding does
	// not break the longer match
	sort.Slice(s.lower, func(i, j int) bool { return len(s.lower[i]) > len(s.lower[j]) })
	return s
}

// Line returns the masked form of one logical line: a command or response
// without its final CRLF, with any literal contents inline after their
// {N}CRLF announcement.
func (s *Session) Line(from Side, line []byte) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out string
	if from == Client {
		out = s.clientLine(line)
	} else {
		out = s.serverLine(line)
	}
	return s.scrub(out)
}

// Peek is Line without its effect on the session's state: for a line that
// will never complete, quoted in an error.
func (s *Session) Peek(from Side, line []byte) string {
	s.mu.Lock()
	c := &Session{saslTag: s.saslTag, inSASL: s.inSASL, lower: s.lower}
	s.mu.Unlock()
	return c.Line(from, line)
}

// Scrub masks the registered secrets in free text such as error messages.
func (s *Session) Scrub(text string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.scrub(text)
}

// scrub replaces every registered secret, matched without regard to ASCII
// case: a server may upper-case what it echoes (a capability, a flag).
func (s *Session) scrub(text string) string {
	for _, sec := range s.lower {
		low := lowerASCII(text)
		if !strings.Contains(low, sec) {
			continue
		}
		var b strings.Builder
		for {
			i := strings.Index(low, sec)
			if i < 0 {
				break
			}
			b.WriteString(text[:i])
			b.WriteString(Marker)
			text, low = text[i+len(sec):], low[i+len(sec):]
		}
		b.WriteString(text)
		text = b.String()
	}
	return text
}

// lowerASCII folds ASCII letters only, so that byte offsets stay aligned
// with the original text.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

func (s *Session) serverLine(line []byte) string {
	if len(line) > 0 && line[0] == '+' {
		// a continuation, in SASL or not (a broken server answering
		// LOGIN with the password in base64): mask one that decodes to
		// a secret
		if s.challengeHoldsSecret(line[1:]) {
			return "+ " + Marker
		}
		return string(line)
	}
	if !s.inSASL || len(line) == 0 {
		return string(line)
	}
	tag, _, _ := bytes.Cut(line, []byte(" "))
	if string(tag) == s.saslTag || string(tag) == "*" && isBye(line) {
		s.inSASL = false
	}
	return string(line)
}

// challengeHoldsSecret reports whether a base64 SASL challenge decodes to
// text holding a registered secret: a broken server quoting the token back
// in its error JSON.
func (s *Session) challengeHoldsSecret(b64 []byte) bool {
	raw, err := base64.StdEncoding.DecodeString(string(bytes.TrimSpace(b64)))
	if err != nil || len(raw) == 0 {
		return false
	}
	if s.scrub(string(raw)) != string(raw) {
		return true
	}
	// JSON escapes (\/, \u0041) hide a secret from a plain search
	var v any
	return json.Unmarshal(raw, &v) == nil && s.jsonHoldsSecret(v)
}

func (s *Session) jsonHoldsSecret(v any) bool {
	switch v := v.(type) {
	case string:
		return s.scrub(v) != v
	case map[string]any:
		for k, x := range v {
			if s.scrub(k) != k || s.jsonHoldsSecret(x) {
				return true
			}
		}
	case []any:
		for _, x := range v {
			if s.jsonHoldsSecret(x) {
				return true
			}
		}
	}
	return false
}

func isBye(line []byte) bool {
	return len(line) >= 5 && strings.EqualFold(string(line[2:5]), "BYE")
}

func (s *Session) clientLine(line []byte) string {
	if s.inSASL {
		if string(bytes.TrimSpace(line)) == "*" {
			return "*" // cancellation carries no secret
		}
		return Marker
	}
	tag, rest, ok := cutBlank(line)
	if !ok {
		return string(line)
	}
	cmd, args, hasArgs := cutBlank(rest)
	switch strings.ToUpper(string(cmd)) {
	case "LOGIN":
		if !hasArgs {
			return string(line)
		}
		n := astringLen(args)
		if n <= 0 || n >= len(args) {
			return string(tag) + " " + string(cmd) + " " + Marker
		}
		return string(tag) + " " + string(cmd) + " " + string(args[:n]) + " " + Marker
	case "AUTHENTICATE":
		s.inSASL, s.saslTag = true, string(tag)
		if !hasArgs {
			return string(line)
		}
		mech, ir, hasIR := bytes.Cut(args, []byte(" "))
		if !hasIR || len(ir) == 0 {
			return string(line)
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

// Encodings returns secret together with the encodings in which it travels
// in IMAP authentication, for NewSession: raw, base64, Go-quoted, and the
// base64 of every wire form of every SASL mechanism in authmech.All for
// user. Register the result so that a secret echoed back by a broken peer
// or quoted in an error is masked as well.
func Encodings(user, secret string) []string {
	if secret == "" {
		return nil
	}
	b64 := base64.StdEncoding.EncodeToString
	q := strconv.Quote(secret)
	out := []string{secret, b64([]byte(secret)), q[1 : len(q)-1]}
	for _, m := range authmech.All {
		if m.Wire == nil {
			continue
		}
		for _, w := range m.Wire(user, secret) {
			out = append(out, b64(w))
		}
	}
	return out
}
