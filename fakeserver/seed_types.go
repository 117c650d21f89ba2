package fakeserver

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-imap/v2"
)

// Seeding from data, as Hoodiecrow's JSON storage does it: a Seed names
// users and, for each, the whole of their mail. Build one in Go, or load
// it with LoadSeed (JSON, YAML, a Maildir, an mbox file).

// Seed is the users and mail a server starts with. A user the seed gives
// mailboxes to starts with exactly those (and an empty INBOX if the seed
// has none), instead of the fixed seed; WithMailbox and
// WithRestrictedMailbox still add theirs after it.
type Seed struct {
	Users []SeedUser
}

// SeedUser is one user of a Seed. An empty Name means the server's first
// user (the first WithUser, or DefaultUser), which is how a Maildir or
// an mbox file is seeded; such an entry must not carry secrets. An empty
// Password is a random one, as with WithUser. A user without Mailboxes
// gets the fixed seed; give it just {Name: "INBOX"} for an empty account.
type SeedUser struct {
	Name      string
	Password  Secret
	Tokens    []Secret
	Mailboxes []SeedMailbox
}

// SeedMailbox is a mailbox and its messages. Name is UTF-8 with "/" as
// the hierarchy delimiter; the Names of Mailboxes (its children) are
// relative to it, so {Name: "Projekte", Mailboxes: {{Name: "Entwürfe"}}}
// is "Projekte/Entwürfe". "INBOX" is matched in any case.
type SeedMailbox struct {
	Name       string
	SpecialUse []imap.MailboxAttr // imap.MailboxAttrSent, ...
	Subscribed bool
	Messages   []SeedMessage
	Mailboxes  []SeedMailbox
}

// SeedMessage is one message. Raw is RFC 5322 text; a bare LF in it is
// stored as CRLF, as IMAP needs. Flags are system flags (any case; stored
// canonical, \Seen) and keywords (served in the case given here). A zero
// InternalDate is 2026-03-02 09:15 UTC plus an hour per message before
// it in the mailbox.
type SeedMessage struct {
	Raw          []byte
	Flags        []imap.Flag
	InternalDate time.Time
}

// Secret is a password or token that fmt, encoding/json and YAML print as
// "<hidden>", so that logging a Seed shows no secret.
type Secret string

const hidden = "<hidden>"

func (Secret) String() string   { return hidden }
func (Secret) GoString() string { return `"` + hidden + `"` }

// MarshalText hides the secret from encoding/json and YAML.
func (Secret) MarshalText() ([]byte, error) { return []byte(hidden), nil }

// WithSeed seeds users and their mail (see Seed). Its users are added as
// WithUser and WithToken add them, in the order given; a later WithUser
// of the same name sets its password. Several seeds may name one user:
// their mailboxes are created in order.
func WithSeed(seeds ...*Seed) Option {
	return func(c *config) {
		for _, sd := range seeds {
			if sd == nil {
				continue
			}
			c.seeds = append(c.seeds, sd)
			for _, u := range sd.Users {
				if u.Name == "" {
					continue
				}
				if u.Password != "" || !c.hasUser(u.Name) {
					WithUser(u.Name, string(u.Password))(c)
				}
				for _, t := range u.Tokens {
					WithToken(u.Name, string(t))(c)
				}
			}
		}
	}
}

// SeedError is a mistake in a seed: the file (empty for a Seed built in
// Go), the field's path (users[0].mailboxes[1].flags[0]), its line when
// known, and what is wrong. It never quotes a secret.
type SeedError struct {
	File string
	Path string
	Line int
	Msg  string
}

func (e *SeedError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File + ": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		if e.Line > 0 {
			fmt.Fprintf(&b, " (line %d)", e.Line)
		}
		b.WriteString(": ")
	} else if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	b.WriteString(e.Msg)
	return b.String()
}

func seedErr(path, format string, args ...any) *SeedError {
	return &SeedError{Path: path, Msg: fmt.Sprintf(format, args...)}
}

// check finds the first mistake in the seed; the decoder's positions are
// looked up by its Path.
func (sd *Seed) check() error {
	for i, u := range sd.Users {
		p := fmt.Sprintf("users[%d]", i)
		if u.Name == "" && (u.Password != "" || len(u.Tokens) > 0) {
			return seedErr(p, "a user without a name is the server's first user and cannot set a password or tokens; give its name")
		}
		if strings.ContainsAny(u.Name, " \t\r\n\x00\"\\") {
			return seedErr(p+".name", "user name %q contains a space, quote, backslash or control character", u.Name)
		}
		if strings.ContainsAny(string(u.Password), "\r\n\x00") {
			return seedErr(p+".password", "contains a line break or NUL, which LOGIN cannot send")
		}
		for j, t := range u.Tokens {
			if t == "" || strings.ContainsAny(string(t), " \t\r\n\x00") {
				return seedErr(fmt.Sprintf("%s.tokens[%d]", p, j), "empty or contains white space or a control character")
			}
		}
		seen := map[string]bool{}
		if err := checkSeedBoxes(p, "", u.Mailboxes, seen); err != nil {
			return err
		}
	}
	return nil
}

func checkSeedBoxes(path, parent string, boxes []SeedMailbox, seen map[string]bool) error {
	for i, mb := range boxes {
		p := fmt.Sprintf("%s.mailboxes[%d]", path, i)
		if err := checkMailboxName(mb.Name); err != nil {
			return seedErr(p+".name", "%v", err)
		}
		if !utf8.ValidString(mb.Name) {
			return seedErr(p+".name", "mailbox name %q is not UTF-8", mb.Name)
		}
		full := seedBoxName(parent, mb.Name)
		if seen[full] {
			return seedErr(p+".name", "mailbox %q is seeded twice", full)
		}
		seen[full] = true
		for j, a := range mb.SpecialUse {
			if !specialUseAttrs[a] {
				return seedErr(fmt.Sprintf("%s.special_use[%d]", p, j), "%q is not a special-use attribute (\\All, \\Archive, \\Drafts, \\Flagged, \\Important, \\Junk, \\Sent, \\Trash)", a)
			}
		}
		for j, m := range mb.Messages {
			mp := fmt.Sprintf("%s.messages[%d]", p, j)
			if len(m.Raw) == 0 {
				return seedErr(mp+".raw", "empty message")
			}
			for k, f := range m.Flags {
				if err := checkSeedFlag(f); err != nil {
					return seedErr(fmt.Sprintf("%s.flags[%d]", mp, k), "%v", err)
				}
			}
		}
		if err := checkSeedBoxes(p, full, mb.Mailboxes, seen); err != nil {
			return err
		}
	}
	return nil
}

// checkSeedFlag accepts the system flags a client can set and keywords
// that are IMAP atoms (RFC 3501 flag-keyword).
func checkSeedFlag(f imap.Flag) error {
	s := string(f)
	if strings.HasPrefix(s, `\`) {
		if canonicalSystemFlag(s) == "" {
			return fmt.Errorf("%q is not a system flag (\\Answered, \\Flagged, \\Deleted, \\Seen, \\Draft)", s)
		}
		return nil
	}
	if s == "" {
		return fmt.Errorf("empty flag")
	}
	for _, r := range s {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune(`(){%*"\]`, r) {
			return fmt.Errorf("keyword %q has a character an IMAP atom cannot hold", s)
		}
	}
	return nil
}

// canonicalSystemFlag spells a system flag as RFC 3501 does, or returns
// "" for \Recent (which no client sets) and anything else.
func canonicalSystemFlag(s string) string {
	for _, f := range systemFlags[:len(systemFlags)-1] {
		if strings.EqualFold(f, s) {
			return f
		}
	}
	return ""
}

// seedBoxName joins a child's name to its parent's; INBOX at the top is
// spelt INBOX.
func seedBoxName(parent, name string) string {
	if parent == "" {
		if strings.EqualFold(name, "INBOX") {
			return "INBOX"
		}
		return name
	}
	return parent + string(mailDelim) + name
}

// seedFor collects the mailboxes the seeds give user; first says whether
// user is the server's first user, whom an unnamed SeedUser means.
func (c *config) seedFor(user string, first bool) (boxes []SeedMailbox, ok bool) {
	for _, sd := range c.seeds {
		for _, u := range sd.Users {
			if u.Name == user || (u.Name == "" && first) {
				boxes = append(boxes, u.Mailboxes...)
				ok = ok || len(u.Mailboxes) > 0
			}
		}
	}
	return boxes, ok
}

func (c *config) checkSeeds() error {
	for _, sd := range c.seeds {
		if err := sd.check(); err != nil {
			return fmt.Errorf("WithSeed: %w", err)
		}
	}
	return nil
}

// seedFromBoxes creates the mailboxes and appends their messages: INBOX
// first (UIDVALIDITY 1, as on a real server), then in the seed's order.
func seedFromBoxes(st *mailStore, boxes []SeedMailbox) error {
	if err := st.create("INBOX", nil); err != nil {
		return err
	}
	return walkSeedBoxes("", boxes, func(name string, mb *SeedMailbox) error {
		if name != "INBOX" {
			if err := st.create(name, mb.SpecialUse); err != nil {
				return fmt.Errorf("create %s: %w", name, err)
			}
		} else if len(mb.SpecialUse) > 0 {
			st.created(name, mb.SpecialUse)
		}
		if mb.Subscribed {
			if err := st.mem.Subscribe(name); err != nil {
				return err
			}
			st.subscribe(name, true)
		}
		for i, m := range mb.Messages {
			// The store's keywords, so that FETCH and SELECT spell them
			// as the seed does.
			st.keywords.define(name, m.Flags)
			t := m.InternalDate
			if t.IsZero() {
				t = seedTime.Add(time.Duration(i) * time.Hour)
			}
			raw := crlf(m.Raw)
			if _, err := st.mem.Append(name, literal{bytes.NewReader(raw), int64(len(raw))},
				&imap.AppendOptions{Time: t, Flags: seedFlags(m.Flags)}); err != nil {
				return fmt.Errorf("append to %s: %w", name, err)
			}
		}
		return nil
	})
}

// walkSeedBoxes calls fn for each mailbox, parents before children, with
// its full name.
func walkSeedBoxes(parent string, boxes []SeedMailbox, fn func(string, *SeedMailbox) error) error {
	for i := range boxes {
		name := seedBoxName(parent, boxes[i].Name)
		if err := fn(name, &boxes[i]); err != nil {
			return err
		}
		if err := walkSeedBoxes(name, boxes[i].Mailboxes, fn); err != nil {
			return err
		}
	}
	return nil
}

// seedFlags spells system flags canonically and keeps keywords as given.
func seedFlags(flags []imap.Flag) []imap.Flag {
	out := make([]imap.Flag, len(flags))
	for i, f := range flags {
		if c := canonicalSystemFlag(string(f)); c != "" {
			f = imap.Flag(c)
		}
		out[i] = f
	}
	return out
}

// crlf turns every bare LF into CRLF.
func crlf(raw []byte) []byte {
	n := bytes.Count(raw, []byte("\n")) - bytes.Count(raw, []byte("\r\n"))
	if n == 0 {
		return append([]byte(nil), raw...)
	}
	out := make([]byte, 0, len(raw)+n)
	for i, b := range raw {
		if b == '\n' && (i == 0 || raw[i-1] != '\r') {
			out = append(out, '\r')
		}
		out = append(out, b)
	}
	return out
}

// seedStore seeds a new user's store: the seeds' mailboxes if they give
// the user any, else the fixed seed.
func (s *Server) seedStore(u *user) error {
	boxes, ok := s.cfg.seedFor(u.name, s.users.first() == nil)
	boxes = cloneSeedBoxes(boxes) // fresh copies replay it; the caller may change theirs
	if !ok {
		messages := s.cfg.messages
		return u.recipe.apply(u.store, func(st *mailStore) error { return seedUser(st, u.name, messages) })
	}
	if err := u.recipe.apply(u.store, func(st *mailStore) error { return seedFromBoxes(st, boxes) }); err != nil {
		return fmt.Errorf("WithSeed: user %s: %w", u.name, err)
	}
	return nil
}

func cloneSeedBoxes(boxes []SeedMailbox) []SeedMailbox {
	if boxes == nil {
		return nil
	}
	out := make([]SeedMailbox, len(boxes))
	for i, mb := range boxes {
		mb.SpecialUse = slices.Clone(mb.SpecialUse)
		msgs := make([]SeedMessage, len(mb.Messages))
		for j, m := range mb.Messages {
			msgs[j] = SeedMessage{Raw: slices.Clone(m.Raw), Flags: slices.Clone(m.Flags), InternalDate: m.InternalDate}
		}
		mb.Messages = msgs
		mb.Mailboxes = cloneSeedBoxes(mb.Mailboxes)
		out[i] = mb
	}
	return out
}
