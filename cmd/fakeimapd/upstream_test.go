package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imapprobe/imapprobe/fakeserver"
)

// TestUpstreamDaemon: fakeimapd --upstream passes a session through to an
// upstream server (an implicit-TLS fake standing in for a real one; the
// integration suite puts Dovecot there), with the fault given applied to
// it, and names the upstream in its ready line.
func TestUpstreamDaemon(t *testing.T) {
	t.Parallel()
	up := fakeserver.New(t, fakeserver.WithUser("alice", "canary-s33d"))
	if err := up.CreateMailbox("alice", "OnlyUpstream"); err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(t.TempDir(), "upstream-ca.pem")
	if err := os.WriteFile(ca, up.CACertPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	url := "imaps://" + up.Addr()
	d := startDaemon(t, nil, "--mode", "plaintext", "--allow-plaintext-auth", "--upstream", url, "--upstream-ca", ca,
		"--fault", "reply:EXAMINE=NO [NOPERM] blocked by the proxy")
	if d.ready.Upstream != url || len(d.ready.Users) != 0 {
		t.Fatalf("ready line: upstream %q, users %q; want %q and none", d.ready.Upstream, d.ready.Users, url)
	}
	replies := imapLines(t, d.ready.Addr, `LIST "" OnlyUpstream`, "EXAMINE INBOX", "LOGOUT")
	if got := strings.Join(replies[0], "\n"); !strings.Contains(got, "OnlyUpstream") {
		t.Errorf("LIST through the proxy:\n%s\nwant the upstream's mailbox", got)
	}
	if got := replies[1][len(replies[1])-1]; got != "c2 NO [NOPERM] blocked by the proxy" {
		t.Errorf("EXAMINE = %q, want the proxy's fault", got)
	}
	if strings.Contains(d.stderr.String(), "canary-s33d") {
		t.Errorf("the log holds the password:\n%s", d.stderr)
	}
}
