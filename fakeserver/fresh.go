package fakeserver

import (
	"fmt"

	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// FreshScope says how far a copy of the seeded mail reaches: which
// connections see each other's STORE, EXPUNGE, APPEND, CREATE...
type FreshScope int

const (
	// PerServer (the default): every New or Start seeds fresh mail, which
	// all of that server's connections share. Each user's mail is a copy
	// of their own either way: users never see each other's changes.
	PerServer FreshScope = iota
	// PerConnection: each connection gets its own fresh copy of the seed
	// when it logs in (LOGIN, AUTHENTICATE or PREAUTH), so one test's
	// changes never leak into the next connection's view. A state fault
	// changes that copy; one that fires before the login (on LOGIN
	// itself) changes the copy the login opens.
	PerConnection
)

var freshNames = map[FreshScope]string{PerServer: "server", PerConnection: "connection"}

func (f FreshScope) String() string {
	if s, ok := freshNames[f]; ok {
		return s
	}
	return fmt.Sprintf("FreshScope(%d)", int(f))
}

// ParseFreshScope reads "server" or "connection".
func ParseFreshScope(s string) (FreshScope, error) {
	for f, name := range freshNames {
		if s == name {
			return f, nil
		}
	}
	return 0, fmt.Errorf("unknown fresh-state scope %q: use server or connection", s)
}

// WithFreshState sets how far a copy of the seeded mail reaches (default
// PerServer). Under PerConnection, Server.Append and CreateMailbox change
// the seed that later connections copy.
func WithFreshState(f FreshScope) Option { return func(c *config) { c.fresh = f } }

// bind logs the session in as u, on the shared store or a fresh copy.
func (s *session) bind(u *user) error {
	st := u.store
	if s.backend.fresh == PerConnection {
		var err error
		if st, err = u.recipe.fresh(); err != nil {
			return err
		}
	}
	s.store = st
	s.user = u.name
	s.UserSession = imapmemserver.NewUserSession(st.mem)
	if s.conn != nil {
		if be, ok := s.conn.NetConn().(backendEnd); ok && be.m.bound != nil {
			be.m.bound(st)
		}
	}
	return nil
}

// restricted reports whether name is WithRestrictedMailbox's mailbox.
func (s *session) restricted(name string) bool {
	return s.backend.restricted != "" && name == s.backend.restricted
}
