package main

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/internal/testkit"
	"github.com/imapprobe/imapprobe/recording"
)

// TestUpstreamDaemon: fakeimapd --upstream passes a session through to an
// upstream server (an implicit-TLS fake standing in for a real one; the
// integration suite puts Dovecot there), with the fault given applied to
// it; its ready line says to log in as the upstream's user, with no fake
// user in the URL; --record writes the session as a recording that holds
// no password.
func TestUpstreamDaemon(t *testing.T) {
	t.Parallel()
	up := fakeserver.New(t, fakeserver.WithUser("alice", "canary-s33d"))
	if err := up.CreateMailbox("alice", "OnlyUpstream"); err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	ca := filepath.Join(tmp, "upstream-ca.pem")
	if err := os.WriteFile(ca, up.CACertPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	recDir := filepath.Join(tmp, "recs")
	url := "imaps://" + up.Addr()
	d := startDaemon(t, nil, "--mode", "plaintext", "--allow-plaintext-auth", "--upstream", url, "--upstream-ca", ca,
		"--fault", "reply:EXAMINE=NO [NOPERM] blocked by the proxy", "--record", recDir)
	want := `{"addr":"` + d.ready.Addr + `","url":"imap://` + d.ready.Addr + `/INBOX","users":[],` +
		`"faults":["reply:EXAMINE=NO [NOPERM] blocked by the proxy"],"upstream":"` + url + `",` +
		`"login":"a user of the upstream, with the upstream's password","record":` + strconv.Quote(recDir) + "}\n"
	if d.line != want {
		t.Fatalf("ready line\n%s\nwant\n%s", d.line, want)
	}
	replies := imapLines(t, d.ready.Addr, `LIST "" OnlyUpstream`, "EXAMINE INBOX", "LOGOUT")
	if got := strings.Join(replies[0], "\n"); !strings.Contains(got, "OnlyUpstream") {
		t.Errorf("LIST through the proxy:\n%s\nwant the upstream's mailbox", got)
	}
	if got := replies[1][len(replies[1])-1]; got != "c2 NO [NOPERM] blocked by the proxy" {
		t.Errorf("EXAMINE = %q, want the proxy's fault", got)
	}
	// the file is written as the proxy closes, after the LOGOUT reply
	var paths []string
	for deadline := time.Now().Add(5 * time.Second); len(paths) == 0 && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		paths, _ = filepath.Glob(filepath.Join(recDir, "*"+recording.Ext))
	}
	if len(paths) != 1 {
		t.Fatalf("recordings %q, want 1", paths)
	}
	b, err := os.ReadFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	rec, err := recording.Decode(strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	if rec.User != "alice" || rec.Mailbox != "INBOX" || rec.End != recording.EndServer || !strings.Contains(string(b), " c2 NO [NOPERM] blocked by the proxy\n") {
		t.Errorf("recording:\n%s\nwant alice, INBOX, end server and the fault's NO", b)
	}
	for what, out := range map[string]string{"log": d.stderr.String(), "recording": string(b)} {
		if strings.Contains(out, "canary-s33d") {
			t.Errorf("the %s holds the password:\n%s", what, out)
		}
	}
	if !strings.Contains(d.stderr.String(), "fakeimapd proxying: log in to imap://"+d.ready.Addr+"/INBOX as a user of the upstream") {
		t.Errorf("no proxying line in the log:\n%s", d.stderr)
	}
	// fakeimapd --replay serves the proxy's recording: the same session
	// gets the same answers, whatever the password
	r := startDaemon(t, nil, "--replay", paths[0])
	again := imapLinesAs(t, r.ready.Addr, "alice any-password", `LIST "" OnlyUpstream`, "EXAMINE INBOX", "LOGOUT")
	if got, want := strings.Join(slices.Concat(again...), "\n"), strings.Join(slices.Concat(replies...), "\n"); got != want {
		t.Errorf("the replay answered\n%s\nthe proxy answered\n%s", got, want)
	}
}

// TestREADMEProxyReady runs the README's proxy example (on a free port,
// recording into a fresh directory; the upstream is dialled only for a
// client, so imap.example.net is never reached) and checks that it prints
// the README's ready line, byte for byte once the port and directory are
// put back.
func TestREADMEProxyReady(t *testing.T) {
	t.Parallel()
	block := testkit.READMEBlock(t, "../../README.md", "proxy-ready")
	cmdLine, want, ok := strings.Cut(strings.TrimPrefix(block, "$ fakeimapd "), "\n")
	if !ok || !strings.HasPrefix(block, "$ fakeimapd ") {
		t.Fatalf("README.md's proxy-ready block is not a fakeimapd command and its line:\n%s", block)
	}
	const port, dir = "127.0.0.1:1143", "recs"
	recDir := filepath.Join(t.TempDir(), dir)
	args := strings.Fields(cmdLine)
	for i, a := range args {
		switch a {
		case port:
			args[i] = "127.0.0.1:0"
		case dir:
			args[i] = recDir
		}
	}
	d := startDaemon(t, nil, args...)
	got := strings.NewReplacer(d.ready.Addr, port, strconv.Quote(recDir), strconv.Quote(dir)).Replace(d.line)
	if got != want {
		t.Errorf("fakeimapd %s printed\n%swant the README's\n%s", cmdLine, got, want)
	}
}
