package integration

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imapprobe/imapprobe/fakeserver"
)

// TestClientMbsyncStateBetweenSyncs: mbsync syncs every mailbox twice
// over implicit TLS, and a state fault on the second login changes the
// account between the syncs, as another client or the server would.
// mbsync recovers from a new UIDVALIDITY (its notice; INBOX keeps three
// messages, none twice), fails on a mailbox renamed away (exit 1), marks
// an expunged message trashed (T) in its Maildir, fetches new mail, and
// takes flags changed elsewhere.
func TestClientMbsyncStateBetweenSyncs(t *testing.T) {
	bin := needClient(t, "mbsync")
	none := map[string]string{"1": "", "2": "", "3": ""}
	tests := []struct {
		name, spec string
		code       int
		message    string            // in the second sync's output
		inbox      map[string]string // INBOX flags by UID after it
	}{
		{"uidvalidity", "uidvalidity:LOGIN|AUTHENTICATE=INBOX;nth=2", 0,
			"Notice: channel fake, far side box INBOX: Recovered from change of UIDVALIDITY.", none},
		{"rename", "rename:LOGIN|AUTHENTICATE=Sent>Sent Items;nth=2", 1,
			"Error: channel fake: far side box Sent cannot be opened.", none},
		{"expunge", "expunge:LOGIN|AUTHENTICATE=INBOX,last;nth=2", 0, "",
			map[string]string{"1": "", "2": "", "3": "T"}},
		{"newmail", "newmail:LOGIN|AUTHENTICATE=INBOX;nth=2", 0, "",
			map[string]string{"1": "", "2": "", "3": "", "4": ""}},
		{"flags", `flags:LOGIN|AUTHENTICATE=INBOX,+\Flagged,all;nth=2`, 0, "",
			map[string]string{"1": "F", "2": "F", "3": "F"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := startClientFake(t, fakeserver.ModeImplicitTLS, tc.spec)
			dir := t.TempDir()
			conf := writeMbsyncConfig(t, srv, dir, mbsyncOpts{})
			if run := runMbsync(t, bin, dir, conf); run.code != 0 {
				t.Fatalf("first sync exited %d:\n%s", run.code, run.output)
			}
			run := runMbsync(t, bin, dir, conf)
			if run.code != tc.code {
				t.Errorf("second sync exited %d, want %d:\n%s\n%s", run.code, tc.code, run.output, transcripts(srv))
			}
			if !strings.Contains(run.output, tc.message) {
				t.Errorf("second sync's output lacks %q:\n%s", tc.message, run.output)
			}
			if strings.Contains(strings.ToLower(run.output), "warning") {
				t.Errorf("second sync warned:\n%s", run.output)
			}
			if got := maildirFlags(t, dir); !maps.Equal(got, tc.inbox) {
				t.Errorf("INBOX flags by UID %q, want %q", got, tc.inbox)
			}
			if _, n := firedFaults(srv); n != 1 {
				t.Errorf("the fault fired %d times, want once", n)
			}
		})
	}
}

// TestClientMbsyncOverQuota: mbsync pushing a new local message to an
// account over quota (reply:APPEND=NO [OVERQUOTA] ...) warns that the far
// side refuses it and exits 0; the fake stores nothing.
func TestClientMbsyncOverQuota(t *testing.T) {
	bin := needClient(t, "mbsync")
	t.Parallel()
	srv := startClientFake(t, fakeserver.ModeImplicitTLS, "reply:APPEND=NO [OVERQUOTA] Quota exceeded")
	dir := t.TempDir()
	conf := writeMbsyncConfig(t, srv, dir, mbsyncOpts{patterns: "INBOX", sync: "All"})
	if run := runMbsync(t, bin, dir, conf); run.code != 0 {
		t.Fatalf("first sync exited %d:\n%s", run.code, run.output)
	}
	local := filepath.Join(dir, "mail", "INBOX", "new", "1800000000.1_1.localhost")
	if err := os.WriteFile(local, []byte("Subject: written here\n\nLocal.\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run := runMbsync(t, bin, dir, conf)
	if run.code != 0 {
		t.Errorf("second sync exited %d, want 0", run.code)
	}
	for _, want := range []string{"returned an error: NO [OVERQUOTA] Quota exceeded",
		"Warning: far side refuses to store message 4 from near side."} {
		if !strings.Contains(run.output, want) {
			t.Errorf("second sync's output lacks %q:\n%s", want, run.output)
		}
	}
	if got := fakeMessages(t, srv)["INBOX"]; len(got) != fakeserver.SeededInbox {
		t.Errorf("the fake's INBOX holds %d messages, want %d", len(got), fakeserver.SeededInbox)
	}
	if _, n := firedFaults(srv); n != 1 {
		t.Errorf("the fault fired %d times, want once", n)
	}
}
