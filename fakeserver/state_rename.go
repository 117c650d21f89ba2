package fakeserver

import "fmt"

// renameMailbox renames a mailbox as RENAME from another session would
// (imapmemserver keeps its UIDVALIDITY and messages). A session that has
// it selected keeps it selected. LIST's index follows.
func renameMailbox(st *mailStore, from, to string) (string, error) {
	if err := st.mem.Rename(from, to, nil); err != nil {
		return "", fmt.Errorf("rename %q to %q: %w", from, to, err)
	}
	st.renamed(from, to)
	return fmt.Sprintf("renamed %q to %q", from, to), nil
}
