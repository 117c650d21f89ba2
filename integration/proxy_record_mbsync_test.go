package integration

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/integration/realservers"
	"github.com/imapprobe/imapprobe/internal/testkit"
	"github.com/imapprobe/imapprobe/recording"
	"github.com/imapprobe/imapprobe/replay"
)

// TestProxyRecordsMbsync: the proxy records any client's session, not
// only the prober's. mbsync syncs a real Dovecot's INBOX through
// fakeimapd's proxy, which records the session; a replay of that
// recording then serves a second mbsync, which syncs the same messages
// (of the same sizes: a literal over 256 bytes is recorded as its length
// and replayed as filler). The recording holds no password.
func TestProxyRecordsMbsync(t *testing.T) {
	t.Parallel()
	bin := needClient(t, "mbsync")
	l, err := processLauncher()
	realservers.Need(t, err)
	const messages = 3
	inst := startDovecot(t, l, realservers.Config{Users: []realservers.User{{Name: recUser, Password: recPassword,
		Mailboxes: []realservers.Mailbox{{Name: "INBOX", Messages: messages}}}}})
	dir := t.TempDir()
	px := fakeserver.New(t, fakeserver.WithMode(fakeserver.ModeImplicitTLS), fakeserver.WithSessionRecordings(dir),
		fakeserver.WithUpstream(fakeserver.Upstream{URL: "imaps://" + hostPort(inst.Host, inst.TLSPort), RootCAs: inst.CAPool}))

	first := t.TempDir()
	conf := writeMbsyncAccount(t, mbsyncAccount{port: fakePort(t, px), user: recUser, pass: recPassword, ssl: "IMAPS",
		caFile: writeCA(t, px, first)}, first, mbsyncOpts{patterns: "INBOX"})
	if run := runMbsync(t, bin, first, conf); run.code != 0 {
		t.Fatalf("mbsync through the proxy exited %d:\n%s\n%s", run.code, run.output, transcripts(px))
	}
	want, wantInfo := mbsyncStored(t, first, "INBOX")
	if len(want) != messages {
		t.Fatalf("mbsync stored %d messages through the proxy, want %d", len(want), messages)
	}

	text := onlyRecording(t, px, dir)
	if leak := secretIn(string(text)); leak != "" || !strings.Contains(string(text), "[redacted]") {
		t.Fatalf("the recording holds %q or masks no login:\n%s", leak, text)
	}
	rec, err := recording.Decode(strings.NewReader(string(text)))
	if err != nil {
		t.Fatal(err)
	}
	var logs testkit.Buffer
	rs, err := replay.Start(rec, replay.WithLogf(func(f string, a ...any) { fmt.Fprintf(&logs, f+"\n", a...) }))
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()

	again := t.TempDir()
	ca := filepath.Join(again, "replay-ca.pem")
	if err := os.WriteFile(ca, rs.CACertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	conf = writeMbsyncAccount(t, mbsyncAccount{port: strconv.Itoa(portOf(rs.Addr())), user: recUser, pass: "any-password", ssl: "IMAPS",
		caFile: ca}, again, mbsyncOpts{patterns: "INBOX"})
	run := runMbsync(t, bin, again, conf)
	if run.code != 0 {
		t.Fatalf("mbsync against the replay exited %d:\n%s\nrecording:\n%s", run.code, run.output, text)
	}
	got, gotInfo := mbsyncStored(t, again, "INBOX")
	if uids(gotInfo) != uids(wantInfo) || len(got) != messages || strings.Contains(run.output, "Warning") {
		t.Errorf("mbsync stored UIDs %s from the replay, %s through the proxy\nrecording:\n%s\nreplay log:\n%s\nmbsync:\n%s",
			uids(gotInfo), uids(wantInfo), text, logs.String(), run.output)
	}
	t.Logf("UIDs stored from the replay: %s", uids(gotInfo))
	for _, m := range got {
		if !bytes.HasPrefix(m, []byte("X-Imapprobe-Replay: filler\n")) {
			t.Errorf("a message from the replay is not its filler: %q", clip(m, 60))
		}
	}
}

// uids lists the UIDs in mbsync's Maildir file names, sorted.
func uids(info map[string]string) string {
	var out []string
	for name := range info {
		if _, u, ok := strings.Cut(name, ",U="); ok {
			out = append(out, u)
		}
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}
