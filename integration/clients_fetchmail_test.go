package integration

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/faults"
)

// writeFetchmailConfig writes dir/fetchmailrc (mode 0600, as fetchmail
// demands) for one poll of the fake's folders, delivering each message
// to its own file in dir/delivered through a one-line MDA script. With
// keep, fetchmail leaves the messages on the server (and marks them
// \Seen); fetchall takes them even so.
func writeFetchmailConfig(t *testing.T, srv *fakeserver.Server, dir string, folders []string) string {
	t.Helper()
	mda, out := writeMDA(t, dir)
	// fetchmail's ssl is implicit TLS; sslproto without ssl is STARTTLS,
	// required.
	tlsLine := "ssl"
	if srv.Mode() == fakeserver.ModeStartTLS {
		tlsLine = `sslproto "tls1.2+"`
	}
	quoted := make([]string, len(folders))
	for i, f := range folders {
		quoted[i] = `"` + f + `"`
	}
	conf := fmt.Sprintf(`set no syslog
poll %s protocol IMAP port %s timeout %d
  user "%s" password "%s" is "%s" here
  %s sslcertck sslcertfile "%s"
  folder %s
  keep fetchall no rewrite
  mda "'%s' '%s'"
`, clientHost, fakePort(t, srv), clientIOTimeout, clientUser, clientPassword, clientUser,
		tlsLine, writeCA(t, srv, dir), strings.Join(quoted, ","), mda, out)
	return writeConfig(t, dir, "fetchmailrc", conf)
}

// writeMDA writes dir/deliver.sh, a one-line MDA that stores the message
// on its standard input in a file of its own in the directory its
// argument names, and makes that directory, dir/delivered.
func writeMDA(t *testing.T, dir string) (mda, out string) {
	t.Helper()
	out = filepath.Join(dir, "delivered")
	if err := os.Mkdir(out, 0o700); err != nil {
		t.Fatal(err)
	}
	mda = filepath.Join(dir, "deliver.sh")
	script := "#!/bin/sh\nexec cat > \"$(mktemp \"$1/msg.XXXXXX\")\"\n"
	if err := os.WriteFile(mda, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	return mda, out
}

// runFetchmail polls once. Its lock goes to dir: as root, fetchmail locks
// /var/run/fetchmail.pid whatever FETCHMAILHOME says, and parallel runs
// would refuse each other ("another foreground fetchmail is running").
func runFetchmail(t *testing.T, bin, dir, conf string) clientRun {
	t.Helper()
	return runClient(t, dir, []string{"FETCHMAILHOME=" + dir}, bin, "-f", conf, "--pidfile", filepath.Join(dir, "fetchmail.pid"), "--nodetach", "-v")
}

// fetchmailReceived starts the Received field fetchmail prepends.
var fetchmailReceived = []byte("Received: from " + clientHost + " ")

// fetchmailDelivered reads what fetchmail delivered, with the Received
// field it prepends (the first field, exactly one) removed.
func fetchmailDelivered(t *testing.T, dir string) [][]byte {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(dir, "delivered"))
	if err != nil {
		t.Fatal(err)
	}
	var msgs [][]byte
	for _, e := range ents {
		raw, err := os.ReadFile(filepath.Join(dir, "delivered", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(raw, fetchmailReceived) {
			t.Errorf("%s does not start with %q:\n%s", e.Name(), fetchmailReceived, clip(raw, 300))
		}
		msg, n := removeHeader(raw, "Received")
		if n != 1 {
			t.Errorf("%s: %d Received fields, want 1 (fetchmail's)", e.Name(), n)
		}
		msgs = append(msgs, msg)
	}
	return msgs
}

// TestClientFetchmailSync: fetchmail polls every seeded folder over implicit TLS and STARTTLS and delivers each message
// byte-identical to the fake's, up to LF line ends and the Received field
// it adds.
func TestClientFetchmailSync(t *testing.T) {
	bin := needClient(t, "fetchmail")
	for _, mode := range clientModes {
		t.Run(mode.String(), func(t *testing.T) {
			t.Parallel()
			srv, byBox := startSyncFake(t, mode)
			var want [][]byte
			for _, mb := range seedMailboxes {
				want = append(want, byBox[mb]...)
			}
			dir := t.TempDir()
			run := runFetchmail(t, bin, dir, writeFetchmailConfig(t, srv, dir, seedMailboxes))
			if run.code != 0 {
				t.Fatalf("fetchmail exited %d, want 0; output:\n%s\n%s", run.code, run.output, transcripts(srv))
			}
			got := fetchmailDelivered(t, dir)
			sameMessages(t, strings.Join(seedMailboxes, ","), want, got)
			t.Logf("%d messages from %d folders, byte-identical", len(got), len(seedMailboxes))
		})
	}
}

// fetchmailFaults: fetchmail's exit codes (fetchmail(1), EXIT CODES) and
// its messages under each fault. The drop (nth=2) comes 120 bytes into
// the first message's FETCH RFC822.HEADER response, inside its literal
// (the first FETCH is the RFC822.SIZE of all three).
var fetchmailFaults = []clientFault{
	{name: "cert-expired", spec: "cert:expired", fire: "cert@tls",
		code: 2, message: "Server certificate verification error: certificate has expired"},
	{name: "select-no", spec: "reply:SELECT|EXAMINE=NO [NONEXISTENT] no such mailbox", fire: "reply@command",
		code: 7, message: "mailbox selection failed"},
	{name: "drop-mid-fetch", spec: "drop:FETCH+120;nth=2", fire: "drop@command",
		lastCommand: "FETCH", closedByFault: true,
		code: 2, message: "socket error while fetching from alice@localhost"},
	{name: "logindisabled", spec: "caps:+LOGINDISABLED", fire: "caps@capabilities",
		code: 3, message: "we've run out of authentication methods and cannot log in"},
}

// TestClientFetchmailFaults: under each fault, over both TLS paths,
// fetchmail exits with its code for the failure and says why, delivers
// nothing, and the fault fired where it should.
func TestClientFetchmailFaults(t *testing.T) {
	bin := needClient(t, "fetchmail")
	for _, tc := range fetchmailFaults {
		for _, mode := range clientModes {
			t.Run(tc.name+"/"+mode.String(), func(t *testing.T) {
				t.Parallel()
				srv := startClientFake(t, mode, tc.spec)
				dir := t.TempDir()
				run := runFetchmail(t, bin, dir, writeFetchmailConfig(t, srv, dir, []string{"INBOX"}))
				checkClientFault(t, srv, tc, run)
				if want := fmt.Sprintf("normal termination, status %d", tc.code); !strings.Contains(run.output, want) {
					t.Errorf("output lacks %q", want)
				}
				if got := fetchmailDelivered(t, dir); len(got) != 0 {
					t.Errorf("%d messages delivered, want none", len(got))
				}
			})
		}
	}
}

// TestClientFetchmailStartTLSStripped: fetchmail told to use STARTTLS
// sends it even when the server does not advertise it; under
// caps:-STARTTLS the fake refuses it as Cyrus and Dovecot do (BAD), so
// fetchmail fails with its socket error, and the connection stays
// plaintext.
func TestClientFetchmailStartTLSStripped(t *testing.T) {
	bin := needClient(t, "fetchmail")
	t.Parallel()
	tc := clientFault{name: "starttls-stripped", spec: "caps:-STARTTLS", fire: "caps@capabilities",
		code: 2, message: "upgrade to TLS failed"}
	srv := startClientFake(t, fakeserver.ModeStartTLS, tc.spec)
	dir := t.TempDir()
	run := runFetchmail(t, bin, dir, writeFetchmailConfig(t, srv, dir, []string{"INBOX"}))
	checkClientFault(t, srv, tc, run)
	if want := "IMAP< A0001 " + faults.NoStartTLSReply; !strings.Contains(run.output, want) {
		t.Errorf("output lacks %q", want)
	}
	for _, rec := range srv.Connections() {
		if rec.TLS {
			t.Errorf("connection %d went TLS after a refused STARTTLS", rec.ID)
		}
	}
	if got := fetchmailDelivered(t, dir); len(got) != 0 {
		t.Errorf("%d messages delivered, want none", len(got))
	}
}
