package fakeserver

import "fmt"

// renameMailbox renames a mailbox as RENAME from another session would
// (imapmemserver keeps its UIDVALIDITY and messages). A session that has
// it selected keeps it selected. Its inferiors, their keywords and LIST's
// index follow.
func renameMailbox(st *mailStore, from, to string) (string, error) {
	if err := st.renameTree(from, to); err != nil {
		return "", fmt.Errorf("rename %q to %q: %w", from, to, err)
	}
	return fmt.Sprintf("renamed %q to %q", from, to), nil
}
