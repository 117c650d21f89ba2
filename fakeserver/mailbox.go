package fakeserver

import (
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
)

// The mailbox API: mailboxes beyond the fixed seed, the opt-in restricted
// mailbox, and Append/CreateMailbox on a running server.

type mailboxSpec struct {
	user, name string
	specialUse []imap.MailboxAttr
}

// specialUseAttrs are the attributes of RFC 6154 (and \Important, RFC
// 8457) that WithMailbox accepts.
var specialUseAttrs = map[imap.MailboxAttr]bool{
	imap.MailboxAttrAll: true, imap.MailboxAttrArchive: true, imap.MailboxAttrDrafts: true,
	imap.MailboxAttrFlagged: true, imap.MailboxAttrJunk: true, imap.MailboxAttrSent: true,
	imap.MailboxAttrTrash: true, imap.MailboxAttrImportant: true,
}

// WithMailbox adds a mailbox to user's seed, after the fixed mailboxes,
// with the given special-use attributes (imap.MailboxAttrSent, ...), which
// LIST then shows. The user must be one of WithUser or WithToken, or
// DefaultUser when there is none. Names are UTF-8 with "/" as the
// hierarchy delimiter: "Projekte/Entwürfe" is a child of "Projekte", and
// if no mailbox "Projekte" exists LIST shows it as \Noselect, as Dovecot
// does. The wire form (modified UTF-7 unless the client enabled
// UTF8=ACCEPT) is go-imap's.
func WithMailbox(user, name string, specialUse ...imap.MailboxAttr) Option {
	return func(c *config) {
		c.mailboxes = append(c.mailboxes, mailboxSpec{user: user, name: name, specialUse: specialUse})
	}
}

// WithRestrictedMailbox adds to every user a mailbox that LIST shows but
// that refuses SELECT, EXAMINE and STATUS with NO [NOPERM], like a shared
// folder without the read right. It is opt-in because a client that syncs
// every mailbox (mbsync's "Patterns *") then fails, as it would against
// such a server.
func WithRestrictedMailbox(name string) Option {
	return func(c *config) { c.restricted = name }
}

func (c *config) checkMailboxes() error {
	for _, mb := range c.mailboxes {
		if !c.hasUser(mb.user) {
			return fmt.Errorf("WithMailbox %q: no user %q (add it with WithUser)", mb.name, mb.user)
		}
		if err := checkMailboxName(mb.name); err != nil {
			return fmt.Errorf("WithMailbox: %w", err)
		}
		for _, a := range mb.specialUse {
			if !specialUseAttrs[a] {
				return fmt.Errorf("WithMailbox %q: %q is not a special-use attribute", mb.name, a)
			}
		}
	}
	if c.restricted != "" {
		if err := checkMailboxName(c.restricted); err != nil {
			return fmt.Errorf("WithRestrictedMailbox: %w", err)
		}
	}
	return nil
}

func (c *config) hasUser(name string) bool {
	for _, u := range c.users {
		if u.name == name {
			return true
		}
	}
	return false
}

func checkMailboxName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("empty mailbox name")
	case strings.HasPrefix(name, "/") || strings.HasSuffix(name, "/") || strings.Contains(name, "//"):
		return fmt.Errorf("mailbox %q: empty level between \"/\" delimiters", name)
	case strings.ContainsAny(name, "*%\r\n\x00"):
		return fmt.Errorf("mailbox %q: contains a wildcard or control character", name)
	}
	return nil
}

// seedMailboxes adds the options' mailboxes to a new user's store.
func (s *Server) seedMailboxes(u *user) error {
	for _, mb := range s.cfg.mailboxes {
		if mb.user != u.name {
			continue
		}
		if err := u.recipe.apply(u.store, createStep(mb.name, mb.specialUse)); err != nil {
			return fmt.Errorf("WithMailbox %q: %w", mb.name, err)
		}
	}
	if s.cfg.restricted != "" {
		if err := u.recipe.apply(u.store, createStep(s.cfg.restricted, nil)); err != nil {
			return fmt.Errorf("WithRestrictedMailbox %q: %w", s.cfg.restricted, err)
		}
	}
	return nil
}

func createStep(name string, specialUse []imap.MailboxAttr) seedStep {
	return func(st *mailStore) error { return st.create(name, specialUse) }
}

// CreateMailbox creates a mailbox for user, as WithMailbox does at start.
// It fails if the mailbox exists. Under WithFreshState(PerConnection) it
// changes the seed that later connections copy, not the copies of
// connections already logged in.
func (s *Server) CreateMailbox(user, name string) error {
	u := s.users.get(user)
	if u == nil {
		return fmt.Errorf("fakeserver: no user %q", user)
	}
	if err := checkMailboxName(name); err != nil {
		return fmt.Errorf("fakeserver: %w", err)
	}
	if err := u.recipe.apply(u.store, createStep(name, nil)); err != nil {
		return fmt.Errorf("fakeserver: create %q for %s: %w", name, user, err)
	}
	return nil
}

// Append adds a raw RFC 5322 message to a user's mailbox, with the current
// time as its internal date. The mailbox must exist: Append to another
// name fails with an error that names CreateMailbox, rather than creating
// it, so that a typo in a test is an error and not a new mailbox. Under
// WithFreshState(PerConnection) it changes the seed that later connections
// copy.
func (s *Server) Append(user, mailbox string, raw []byte) error {
	u := s.users.get(user)
	if u == nil {
		return fmt.Errorf("fakeserver: no user %q", user)
	}
	if !u.store.has(mailbox) {
		return fmt.Errorf("fakeserver: user %s has no mailbox %q: create it first with CreateMailbox or WithMailbox", user, mailbox)
	}
	raw = append([]byte(nil), raw...) // the caller may reuse its slice; copies replay it
	t := time.Now()
	return u.recipe.apply(u.store, func(st *mailStore) error { return st.appendRaw(mailbox, raw, t) })
}
