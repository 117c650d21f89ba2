package prober

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCapsFromCode(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, text string
		want       []string
	}{
		{"plain", "[CAPABILITY IMAP4rev1 IDLE] ready", []string{"IMAP4rev1", "IDLE"}},
		{"lower case", "hi [capability IMAP4rev1 AUTH=PLAIN] ready", []string{"IMAP4rev1", "AUTH=PLAIN"}},
		{"no code", "ready", nil},
		{"unterminated", "[CAPABILITY IMAP4rev1 ready", nil},
		// found by FuzzServerBytes: ToUpper turned each \xaf into three
		// bytes, and the offset it gave overran the line
		{"invalid UTF-8 first", "\xaf\xaf\xaf\xaf\xaf\xaf\xaf[cAPaBILITY 020]4reM)01", []string{"020"}},
		{"Kelvin sign is not K", "[CAPABILIT\u212a X] [CAPABILITY Y]", []string{"Y"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, capsFromCode(tc.text)); diff != "" {
				t.Errorf("capsFromCode(%q) (-want +got):\n%s", tc.text, diff)
			}
		})
	}
}
