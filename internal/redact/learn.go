package redact

import (
	"slices"
	"strings"

	"github.com/imapprobe/imapprobe/internal/authmech"
)

// Learning: a proxy knows no secret in advance, so a learning Session
// takes each credential from the client line that carries it, where the
// structural rules mask it, and masks it from then on wherever it
// appears, as if it had been given to NewSession in all its Encodings.
// A server that echoes the password in a NO, quotes the LOGIN line in a
// BAD, or repeats a token after AUTHENTICATE is masked that way.

// FreshLearning is Fresh for a session that also learns the credentials
// its client lines carry: LOGIN's password (atom, quoted or literal; a
// lone argument too, which may be one), and the secret of an
// AUTHENTICATE exchange, initial response or continuation, for PLAIN,
// XOAUTH2, OAUTHBEARER (authmech.Parse) and LOGIN (its responses after
// the first, the user name). Only lines that advance the session teach
// it (Line, LineCut; not Peek).
func (s *Session) FreshLearning() *Session {
	f := s.Fresh()
	f.learn = true
	return f
}

// Learn registers secret, sent by user, from now on, as NewSession would
// have: for a caller that learns it outside the lines it masks.
func (s *Session) Learn(user, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lineCut = false
	s.learnLocked(user, secret)
}

// maxLearnt bounds the secrets a session holds learnt: a client trying
// password after password on one connection would otherwise make every
// line slower to mask. Past it the oldest is forgotten.
const maxLearnt = 16

// learnLocked adds the secret's patterns; s.mu is held. The pattern slice
// may be shared with the session's parent (Fresh), so it is replaced,
// never appended to in place. A secret from a line cut short (a long
// OAuth token over the tap's buffer) is only its start: its raw forms
// are open, masking whatever token characters follow them.
func (s *Session) learnLocked(user, secret string) {
	if len(secret) < minSecretLen {
		return
	}
	have := map[string]bool{}
	for _, p := range s.given {
		have[string(p.low)] = true
	}
	var group []pattern
	for _, p := range buildPatterns(Encodings(user, secret)) {
		if !have[string(p.low)] {
			have[string(p.low)] = true
			p.open = s.lineCut && !p.b64
			group = append(group, p)
		}
	}
	if len(group) == 0 {
		return
	}
	// the newest group owns a form two secrets share (a secret learnt
	// again), so that forgetting the older keeps it
	var kept [][]pattern
	for _, g := range s.learnt {
		g = slices.DeleteFunc(slices.Clone(g), func(p pattern) bool {
			return slices.ContainsFunc(group, func(q pattern) bool { return string(q.low) == string(p.low) })
		})
		if len(g) > 0 {
			kept = append(kept, g)
		}
	}
	s.learnt = kept
	s.learnt = append(s.learnt, group)
	if len(s.learnt) > maxLearnt {
		s.learnt = s.learnt[1:]
	}
	s.pats = slices.Concat(append([][]pattern{s.given}, s.learnt...)...)
}

// learnLogin learns from LOGIN's arguments (args after the command name).
func (s *Session) learnLogin(args []byte) {
	user, n := astringValue(args)
	if n < 0 {
		return
	}
	_, rest, ok := cutBlank(args[n:])
	if !ok || len(rest) == 0 {
		s.learnLocked("", user) // a lone argument: maybe the password
		return
	}
	if pass, m := astringValue(rest); m > 0 {
		s.learnLocked(user, pass)
	}
}

// learnSASL learns from one client response of the exchange in progress,
// in base64 as sent.
func (s *Session) learnSASL(resp []byte) {
	step := s.saslStep
	s.saslStep++
	raw, ok := decodeB64(resp, s.lineCut)
	if !ok {
		return
	}
	if s.saslMech == "LOGIN" {
		if step == 0 {
			s.saslUser = string(raw)
		} else {
			s.learnLocked(s.saslUser, string(raw))
		}
		return
	}
	if user, secret, ok := authmech.Parse(s.saslMech, raw); ok {
		s.learnLocked(user, secret)
	}
}

// astringValue decodes the IMAP astring at the start of b (atom, quoted
// string, or literal with its content inline) and returns it with its
// length on the wire, or -1.
func astringValue(b []byte) (string, int) {
	n := astringLen(b)
	if n <= 0 {
		return "", -1
	}
	switch b[0] {
	case '"':
		// IMAP quotes escape only \ and "
		return strings.NewReplacer(`\\`, `\`, `\"`, `"`).Replace(string(b[1 : n-1])), n
	case '{', '~':
		nl := strings.Index(string(b[:n]), "\r\n")
		return string(b[nl+2 : n]), n
	}
	return string(b[:n]), n
}
