package fakeserver_test

import (
	"strings"
	"testing"
)

// TestCopyMoveOfNoMessage: COPY and MOVE of a set that matches nothing
// answer OK and change nothing, where go-imap alone sent a cut COPYUID
// line and NO [SERVERBUG].
func TestCopyMoveOfNoMessage(t *testing.T) {
	t.Parallel()
	r := openInbox(t, plainServer(t))
	for _, tc := range []struct{ cmd, want string }{
		{"a UID MOVE 999 Archive", "a OK UID MOVE completed\r\n"},
		{"b UID COPY 999 Archive", "b OK COPY completed\r\n"},
		{"c MOVE 99 Archive", "c OK MOVE completed\r\n"},
		{"d COPY 99:100 Archive", "d OK COPY completed\r\n"},
	} {
		r.send(tc.cmd + "\r\n")
		tag, _, _ := strings.Cut(tc.cmd, " ")
		if lines := r.until(tag + " "); len(lines) != 1 || lines[0] != tc.want {
			t.Errorf("%s: %q, want only %q", tc.cmd, lines, tc.want)
		}
	}
	r.send("e STATUS Archive (MESSAGES)\r\n")
	if l := r.until("e ")[0]; l != "* STATUS \"Archive\" (MESSAGES 0)\r\n" {
		t.Errorf("Archive after them: %q, want 0 messages", l)
	}
}
