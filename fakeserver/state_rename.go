package fakeserver

import (
	"fmt"

	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// renameMailbox renames a mailbox as RENAME from another session would
// (imapmemserver keeps its UIDVALIDITY and messages). A session that has
// it selected keeps it selected.
func renameMailbox(u *imapmemserver.User, from, to string) (string, error) {
	if err := u.Rename(from, to, nil); err != nil {
		return "", fmt.Errorf("rename %q to %q: %w", from, to, err)
	}
	return fmt.Sprintf("renamed %q to %q", from, to), nil
}
