package fakeserver

import (
	"fmt"
	"sync"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// uidValidityTemp is the name a mailbox's messages are copied to while its
// UIDVALIDITY changes; a LIST at that moment may show it.
const uidValidityTemp = ".fakeserver-uidvalidity"

// uidValidityMu makes one UIDVALIDITY change at a time, so that two never
// share the temporary mailbox.
var uidValidityMu sync.Mutex

// newUIDValidity gives mailbox a new UIDVALIDITY. imapmemserver fixes a
// mailbox's UIDVALIDITY when it is created and gives every new mailbox a
// higher one, so the messages are copied (with their flags and internal
// dates) to a new mailbox that then takes the old one's name: the UIDs
// start again from 1, as after a server rebuilt its index. Subscription
// is not carried over. A session that had the old mailbox selected keeps
// seeing it until it selects again; a real server would not change
// UIDVALIDITY under it at all.
func newUIDValidity(u *imapmemserver.User, mailbox string) (string, error) {
	uidValidityMu.Lock()
	defer uidValidityMu.Unlock()
	old, err := u.Status(mailbox, &imap.StatusOptions{UIDValidity: true, NumMessages: true})
	if err != nil {
		return "", fmt.Errorf("uidvalidity of %q: %w", mailbox, err)
	}
	if err := u.Create(uidValidityTemp, nil); err != nil {
		return "", fmt.Errorf("uidvalidity of %q: %w", mailbox, err)
	}
	s, _, err := sideSession(u, mailbox)
	if err == nil {
		_, err = s.Copy(imap.SeqSet{{Start: 1, Stop: 0}}, uidValidityTemp)
		_ = s.Close()
	}
	if err == nil {
		err = u.Delete(mailbox)
	}
	if err == nil {
		err = u.Rename(uidValidityTemp, mailbox, nil)
	}
	if err != nil {
		_ = u.Delete(uidValidityTemp)
		return "", fmt.Errorf("uidvalidity of %q: %w", mailbox, err)
	}
	now, err := u.Status(mailbox, &imap.StatusOptions{UIDValidity: true})
	if err != nil {
		return "", fmt.Errorf("uidvalidity of %q: %w", mailbox, err)
	}
	return fmt.Sprintf("UIDVALIDITY of %q %d -> %d (%d messages)", mailbox, old.UIDValidity, now.UIDValidity, *old.NumMessages), nil
}
