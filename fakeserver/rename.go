package fakeserver

import (
	"sort"
	"strings"

	"github.com/emersion/go-imap/v2"
)

// RENAME as RFC 3501 (6.3.5) and Dovecot have it, where imapmemserver
// renames the one mailbox: its inferiors move with it (P/C to Q/C), so do
// the keywords the user defined in each, a mailbox cannot go under its
// own child, and INBOX is refused as Dovecot refuses it (RFC 3501's
// move-the-messages rename of INBOX is optional in practice).

var (
	errRenameInbox = &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeCannot,
		Text: "Renaming INBOX isn't supported"}
	errRenameUnderSelf = &imap.Error{Type: imap.StatusResponseTypeNo,
		Text: "Can't rename mailbox under its own child"}
)

func (s *session) Rename(name, newName string, options *imap.RenameOptions) error {
	newName = strings.TrimRight(newName, string(mailDelim))
	switch {
	case strings.EqualFold(name, "INBOX"):
		return errRenameInbox
	case strings.HasPrefix(newName, name+string(mailDelim)):
		return errRenameUnderSelf
	}
	return s.store.renameTree(name, newName)
}

// renameTree renames a mailbox and then its inferiors, shortest first (a
// clash of names was checked for the mailbox itself, and an inferior's
// new name is under it). Each one's keywords follow it.
func (st *mailStore) renameTree(from, to string) error {
	var inferiors []string
	for n := range st.snapshot() {
		if strings.HasPrefix(n, from+string(mailDelim)) {
			inferiors = append(inferiors, n)
		}
	}
	sort.Strings(inferiors)
	if st.has(from) || len(inferiors) == 0 { // else a \Noselect parent LIST made up
		inferiors = append([]string{from}, inferiors...)
	}
	for _, n := range inferiors {
		dest := to + strings.TrimPrefix(n, from)
		if err := st.mem.Rename(n, dest, nil); err != nil {
			return err
		}
		st.renamed(n, dest)
		st.keywords.rename(n, dest)
	}
	return nil
}

// rename moves a mailbox's keywords to its new name.
func (u *userKeywords) rename(old, name string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if kws, ok := u.boxes[old]; ok {
		delete(u.boxes, old)
		u.boxes[name] = kws
	}
}
