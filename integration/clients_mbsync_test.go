package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imapprobe/imapprobe/fakeserver"
)

// mbsyncOpts are the per-test parts of an mbsync configuration.
type mbsyncOpts struct {
	patterns  string // the Channel's Patterns; "" means "*", every mailbox
	authMechs string // IMAPAccount AuthMechs; "" means "*"
	sync      string // the Channel's Sync; "" means "Pull"
}

// mbsyncAccount is the server an mbsync configuration syncs from.
type mbsyncAccount struct {
	port, user, pass string
	ssl              string // "IMAPS" or "STARTTLS"
	caFile           string
}

// writeMbsyncConfig writes dir/mbsyncrc for a sync of the fake into the
// Maildir dir/mail.
func writeMbsyncConfig(t *testing.T, srv *fakeserver.Server, dir string, o mbsyncOpts) string {
	t.Helper()
	ssl := "IMAPS"
	if srv.Mode() == fakeserver.ModeStartTLS {
		ssl = "STARTTLS"
	}
	acct := mbsyncAccount{port: fakePort(t, srv), user: clientUser, pass: clientPassword, ssl: ssl, caFile: writeCA(t, srv, dir)}
	return writeMbsyncAccount(t, acct, dir, o)
}

// writeMbsyncAccount writes dir/mbsyncrc for a sync of acct into the
// Maildir dir/mail. mbsync needs the sections apart, with blank lines.
func writeMbsyncAccount(t *testing.T, acct mbsyncAccount, dir string, o mbsyncOpts) string {
	t.Helper()
	if o.patterns == "" {
		o.patterns = "*"
	}
	if o.authMechs == "" {
		o.authMechs = "*"
	}
	if o.sync == "" {
		o.sync = "Pull"
	}
	mail := filepath.Join(dir, "mail")
	if err := os.Mkdir(mail, 0o700); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf(`IMAPAccount fake
Host %s
Port %s
User %s
Pass %s
SSLType %s
CertificateFile %s
AuthMechs %s
Timeout %d

IMAPStore fake-remote
Account fake

MaildirStore fake-local
Path %s/
Inbox %s/INBOX
SubFolders Verbatim

Channel fake
Far :fake-remote:
Near :fake-local:
Patterns %s
Create Near
Sync %s
SyncState *
`, clientHost, acct.port, acct.user, acct.pass, acct.ssl, acct.caFile,
		o.authMechs, clientIOTimeout, mail, mail, o.patterns, o.sync)
	return writeConfig(t, dir, "mbsyncrc", conf)
}

func runMbsync(t *testing.T, bin, dir, conf string) clientRun {
	t.Helper()
	return runClient(t, dir, nil, bin, "-c", conf, "fake")
}

// mbsyncStored reads the messages mbsync stored for mailbox, with the
// X-TUID header it adds removed (each must have exactly one), and their
// Maildir info (":2,FLAGS") by file.
func mbsyncStored(t *testing.T, dir, mailbox string) (msgs [][]byte, info map[string]string) {
	t.Helper()
	info = map[string]string{}
	box := filepath.Join(dir, "mail", filepath.FromSlash(mailbox))
	for _, sub := range []string{"new", "cur"} {
		ents, err := os.ReadDir(filepath.Join(box, sub))
		if err != nil {
			t.Fatalf("%s: %v", mailbox, err)
		}
		for _, e := range ents {
			raw, err := os.ReadFile(filepath.Join(box, sub, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			msg, n := removeHeader(raw, "X-TUID")
			if n != 1 {
				t.Errorf("%s/%s/%s: %d X-TUID headers, want 1", mailbox, sub, e.Name(), n)
			}
			msgs = append(msgs, msg)
			name, flags, _ := strings.Cut(e.Name(), ":2,")
			info[sub+"/"+name] = flags
		}
	}
	return msgs, info
}

// TestClientMbsyncSync: mbsync pulls every seeded mailbox ("Patterns *") over implicit TLS and STARTTLS, and stores each message
// byte-identical to the fake's, up to Maildir's LF line ends and the
// X-TUID header mbsync adds. A second run finds nothing new.
func TestClientMbsyncSync(t *testing.T) {
	bin := needClient(t, "mbsync")
	for _, mode := range clientModes {
		t.Run(mode.String(), func(t *testing.T) {
			t.Parallel()
			srv, want := startSyncFake(t, mode)
			dir := t.TempDir()
			conf := writeMbsyncConfig(t, srv, dir, mbsyncOpts{})
			run := runMbsync(t, bin, dir, conf)
			if run.code != 0 {
				t.Fatalf("mbsync exited %d, want 0; output:\n%s\n%s", run.code, run.output, transcripts(srv))
			}
			if strings.Contains(strings.ToLower(run.output), "warning") {
				t.Errorf("mbsync warned:\n%s", run.output)
			}
			total := 0
			for _, mb := range seedMailboxes {
				got, _ := mbsyncStored(t, dir, mb)
				sameMessages(t, mb, want[mb], got)
				total += len(got)
			}
			t.Logf("%d messages in %d mailboxes, byte-identical", total, len(seedMailboxes))

			again := runMbsync(t, bin, dir, conf)
			if again.code != 0 {
				t.Fatalf("second mbsync exited %d, want 0; output:\n%s", again.code, again.output)
			}
			for _, mb := range seedMailboxes {
				got, _ := mbsyncStored(t, dir, mb)
				if len(got) != len(want[mb]) {
					t.Errorf("%s: %d messages after a second sync, want %d", mb, len(got), len(want[mb]))
				}
			}
		})
	}
}

// mbsyncFaults: mbsync exits 1 on every failure; what differs is the
// message. It logs in with AUTHENTICATE PLAIN when offered, which
// LOGINDISABLED leaves alone (see TestClientMbsyncLoginDisabledPlain),
// so the LOGINDISABLED row restricts it to LOGIN.
var mbsyncFaults = []struct {
	clientFault
	opts mbsyncOpts
}{
	{clientFault{name: "cert-expired", spec: "cert:expired", fire: "cert@tls",
		code: 1, message: "certificate has expired"}, mbsyncOpts{patterns: "INBOX"}},
	{clientFault{name: "select-no", spec: "reply:SELECT|EXAMINE=NO [NONEXISTENT] no such mailbox", fire: "reply@command",
		code: 1, message: "Error: channel fake: far side box INBOX cannot be opened."}, mbsyncOpts{patterns: "INBOX"}},
	{clientFault{name: "drop-mid-fetch", spec: "drop:FETCH+120;nth=2", fire: "drop@command",
		lastCommand: "UID FETCH", closedByFault: true, code: 1, message: "Socket error: secure read from localhost"}, mbsyncOpts{patterns: "INBOX"}},
	{clientFault{name: "logindisabled", spec: "caps:+LOGINDISABLED", fire: "caps@capabilities",
		code: 1, message: "IMAP error: server supports no acceptable authentication mechanism"}, mbsyncOpts{patterns: "INBOX", authMechs: "LOGIN"}},
}

// TestClientMbsyncFaults: under each fault, over both TLS paths, mbsync
// fails with exit 1 and its message for that fault, stores nothing, and
// the fault fired where it should. The drop (nth=2) comes 120 bytes into
// the first message's UID FETCH BODY.PEEK[] response, inside its literal.
func TestClientMbsyncFaults(t *testing.T) {
	bin := needClient(t, "mbsync")
	for _, tc := range mbsyncFaults {
		for _, mode := range clientModes {
			t.Run(tc.name+"/"+mode.String(), func(t *testing.T) {
				t.Parallel()
				srv := startClientFake(t, mode, tc.spec)
				dir := t.TempDir()
				run := runMbsync(t, bin, dir, writeMbsyncConfig(t, srv, dir, tc.opts))
				checkClientFault(t, srv, tc.clientFault, run)
				stored, _ := filepath.Glob(filepath.Join(dir, "mail", "INBOX", "*", "*"))
				if len(stored) != 0 {
					t.Errorf("%d messages stored, want none: %q", len(stored), stored)
				}
			})
		}
	}
}

// TestClientMbsyncLoginDisabledPlain: with its default AuthMechs, mbsync
// logs in with AUTHENTICATE PLAIN under LOGINDISABLED, as RFC 3501 allows,
// and syncs.
func TestClientMbsyncLoginDisabledPlain(t *testing.T) {
	bin := needClient(t, "mbsync")
	for _, mode := range clientModes {
		t.Run(mode.String(), func(t *testing.T) {
			t.Parallel()
			srv := startClientFake(t, mode, "caps:+LOGINDISABLED")
			dir := t.TempDir()
			run := runMbsync(t, bin, dir, writeMbsyncConfig(t, srv, dir, mbsyncOpts{patterns: "INBOX"}))
			if run.code != 0 {
				t.Fatalf("mbsync exited %d, want 0; output:\n%s", run.code, run.output)
			}
			if got, _ := mbsyncStored(t, dir, "INBOX"); len(got) != fakeserver.SeededInbox {
				t.Errorf("%d messages stored, want %d", len(got), fakeserver.SeededInbox)
			}
			if _, n := firedFaults(srv); n == 0 {
				t.Errorf("caps:+LOGINDISABLED never fired")
			}
		})
	}
}
