package fakeserver

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
)

// Keywords as the client wrote them, and the FLAGS and PERMANENTFLAGS of
// SELECT and EXAMINE as Dovecot 2.3 sends them (issue 11; see flags.go
// for why the front respells the backend's lines). imapmemserver keeps
// only the lower-case form of a keyword, so the backend session notes
// the spelling the user first gave it, in STORE and APPEND, and the
// order keywords were created in each mailbox, which is the order
// Dovecot lists them in.

func newUserKeywords() *userKeywords {
	return &userKeywords{rank: map[string]int{}, boxes: map[string][]string{}}
}

// userKeywords is the keywords of one copy of a user's mail (mailStore):
// the first spelling of each, in the order first used, and those each
// mailbox has defined. They live with the copy, so that under
// WithFreshState(PerConnection) one connection's keywords never show in
// another's FLAGS.
type userKeywords struct {
	mu    sync.Mutex
	order []string            // spellings, in the order first used
	rank  map[string]int      // lower case -> index in order
	boxes map[string][]string // mailbox -> lower-case keywords, in creation order
}

func (u *userKeywords) spell(lower string) (string, int, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	r, ok := u.rank[lower]
	if !ok {
		return "", 0, false
	}
	return u.order[r], r, true
}

// define notes the keywords among flags for mailbox and reports whether
// any is new to the mailbox.
func (u *userKeywords) define(mailbox string, flags []imap.Flag) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	added := false
	for _, f := range flags {
		if strings.HasPrefix(string(f), `\`) {
			continue
		}
		lower := strings.ToLower(string(f))
		if _, ok := u.rank[lower]; !ok {
			u.rank[lower] = len(u.order)
			u.order = append(u.order, string(f))
		}
		if !slices.Contains(u.boxes[mailbox], lower) {
			u.boxes[mailbox] = append(u.boxes[mailbox], lower)
			added = true
		}
	}
	return added
}

// mailboxFlags is the FLAGS list of mailbox: the five system flags, then
// its keywords in creation order (spelt by the front), and any keyword
// in use there that the book has not seen (seeded ones), which it then
// takes as defined.
func (u *userKeywords) mailboxFlags(mailbox string, inUse []imap.Flag) []imap.Flag {
	var extra []imap.Flag
	for _, f := range inUse {
		if !strings.HasPrefix(string(f), `\`) {
			extra = append(extra, f)
		}
	}
	u.define(mailbox, extra)
	u.mu.Lock()
	defer u.mu.Unlock()
	flags := dovecotSelectFlags()
	for _, k := range u.boxes[mailbox] {
		flags = append(flags, imap.Flag(k))
	}
	return flags
}

// dovecotSelectFlags are the flags Dovecot's FLAGS lists before any
// keyword: systemFlags without \Recent.
func dovecotSelectFlags() []imap.Flag {
	flags := make([]imap.Flag, 0, len(systemFlags)-1)
	for _, f := range systemFlags[:len(systemFlags)-1] {
		flags = append(flags, imap.Flag(f))
	}
	return flags
}

// selectFlags sets a selected mailbox's FLAGS and PERMANENTFLAGS as
// Dovecot does; a read-only mailbox permits none.
func (s *session) selectFlags(name string, readOnly bool, data *imap.SelectData) {
	s.selected = name
	data.Flags = s.store.keywords.mailboxFlags(name, data.Flags)
	data.PermanentFlags = []imap.Flag{}
	if !readOnly {
		data.PermanentFlags = append(slices.Clone(data.Flags), imap.FlagWildcard)
	}
}

func (s *session) Unselect() error {
	s.selected, s.readOnly = "", false
	return s.UserSession.Unselect()
}

// Store notes the keywords the client gave. Like Dovecot, a STORE that
// defines a keyword new to the mailbox first announces the mailbox's new
// FLAGS and PERMANENTFLAGS, written raw: imapserver has flushed what it
// wrote before and writes nothing else while the command runs.
func (s *session) Store(w *imapserver.FetchWriter, numSet imap.NumSet, flags *imap.StoreFlags, options *imap.StoreOptions) error {
	if s.readOnly { // see readonly.go
		return nil
	}
	if flags.Op != imap.StoreFlagsDel && s.selected != "" {
		u := s.store.keywords
		if u.define(s.selected, flags.Flags) && s.conn != nil {
			list := u.mailboxFlags(s.selected, nil)
			announce := fmt.Sprintf("* FLAGS (%s)\r\n* OK [PERMANENTFLAGS (%s \\*)] Permanent flags\r\n",
				joinFlags(list), joinFlags(list))
			if _, err := s.conn.NetConn().Write([]byte(announce)); err != nil {
				return err
			}
		}
	}
	return s.UserSession.Store(w, numSet, flags, options)
}

// Append notes the keywords of the appended message.
func (s *session) Append(mailbox string, r imap.LiteralReader, options *imap.AppendOptions) (*imap.AppendData, error) {
	data, err := s.UserSession.Append(mailbox, r, options)
	if err == nil && options != nil {
		s.store.keywords.define(mailbox, options.Flags)
	}
	return data, err
}

func joinFlags(flags []imap.Flag) string {
	s := make([]string, len(flags))
	for i, f := range flags {
		s[i] = string(f)
	}
	return strings.Join(s, " ")
}
