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
	mu      sync.Mutex
	saslTag string // tag of the AUTHENTICATE exchange in progress
	inSASL  bool
	secrets []string
}

// NewSession returns a Session that additionally masks every occurrence of
// the given secrets (empty and very short ones are ignored).
func NewSession(secrets ...string) *Session {
	s := &Session{}
	for _, sec := range secrets {
		if len(sec) >= minSecretLen {
			s.secrets = append(s.secrets, sec)
		}
	}
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

// Scrub masks the registered secrets in free text such as error messages.
func (s *Session) Scrub(text string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.scrub(text)
}

func (s *Session) scrub(text string) string {
	for _, sec := range s.secrets {
		if strings.Contains(text, sec) {
			text = strings.ReplaceAll(text, sec, Marker)
		}
	}
	return text
}

func (s *Session) serverLine(line []byte) string {
	if !s.inSASL || len(line) == 0 {
		return string(line)
	}
	if line[0] == '+' {
		if s.challengeHoldsSecret(line[1:]) {
			return "+ " + Marker
		}
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
	return err == nil && len(raw) > 0 && s.scrub(string(raw)) != string(raw)
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
	tag, rest, ok := bytes.Cut(line, []byte(" "))
	if !ok {
		return string(line)
	}
	cmd, args, hasArgs := bytes.Cut(rest, []byte(" "))
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
	if i := bytes.IndexByte(b, ' '); i >= 0 {
		return i
	}
	return len(b)
}

// Encodings returns secret together with the encodings in which it travels
// in IMAP authentication, for NewSession: raw, base64, and the base64 SASL
// payloads of PLAIN, XOAUTH2 and OAUTHBEARER for user. Register the result
// so that a secret echoed back by a broken peer or quoted in an error is
// masked as well.
func Encodings(user, secret string) []string {
	if secret == "" {
		return nil
	}
	b64 := base64.StdEncoding.EncodeToString
	out := []string{
		secret,
		b64([]byte(secret)),
		strconv.Quote(secret)[1 : len(strconv.Quote(secret))-1],
		b64([]byte("\x00" + user + "\x00" + secret)),
		b64([]byte(user + "\x00" + user + "\x00" + secret)),
		b64([]byte("user=" + user + "\x01auth=Bearer " + secret + "\x01\x01")),
		b64([]byte("n,a=" + user + ",\x01auth=Bearer " + secret + "\x01\x01")),
		b64([]byte("n,,\x01auth=Bearer " + secret + "\x01\x01")),
	}
	return out
}
