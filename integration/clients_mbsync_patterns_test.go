package integration

import (
	"strings"
	"testing"

	"github.com/imapprobe/imapprobe/fakeserver"
)

// TestClientMbsyncPatternsAll: mbsync with "Patterns *" syncs the fake's
// default seed, exactly as fakeserver.New gives it, with exit 0: every
// seeded mailbox arrives with its message count. With the opt-in
// restricted mailbox the same sync exits 1, as it does against a server
// with a folder the user may not read; that is why the mailbox is opt-in.
func TestClientMbsyncPatternsAll(t *testing.T) {
	bin := needClient(t, "mbsync")
	tests := []struct {
		name    string
		opts    []fakeserver.Option
		code    int
		message string // in mbsync's output when code != 0
	}{
		{name: "default seed"},
		{name: "restricted opted in", opts: []fakeserver.Option{fakeserver.WithRestrictedMailbox("Restricted")},
			code: 1, message: "Error: channel fake: both far side Restricted and near side Restricted cannot be opened."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := append([]fakeserver.Option{fakeserver.WithMode(fakeserver.ModeImplicitTLS),
				fakeserver.WithUser(clientUser, clientPassword)}, tc.opts...)
			srv := fakeserver.New(t, opts...)
			want := fakeMessages(t, srv)
			dir := t.TempDir()
			run := runMbsync(t, bin, dir, writeMbsyncConfig(t, srv, dir, mbsyncOpts{patterns: "*"}))
			if run.code != tc.code {
				t.Fatalf("mbsync exited %d, want %d; output:\n%s\n%s", run.code, tc.code, run.output, transcripts(srv))
			}
			if tc.code != 0 {
				if !strings.Contains(run.output, tc.message) {
					t.Errorf("mbsync's output lacks %q:\n%s", tc.message, run.output)
				}
				return
			}
			total := 0
			for _, mb := range seedMailboxes {
				got, _ := mbsyncStored(t, dir, mb)
				sameMessages(t, mb, want[mb], got)
				total += len(got)
			}
			if wantTotal := fakeserver.SeededInbox + 2; total != wantTotal {
				t.Errorf("%d messages synced, want %d (INBOX, Sent, Archive/2025)", total, wantTotal)
			}
		})
	}
}
