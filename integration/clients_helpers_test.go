package integration

// Issue 11: real mail clients (mbsync from isync, and fetchmail) sync from
// the fake server over implicit TLS and STARTTLS; offlineimap3 and
// getmail6 over implicit TLS (clients_python_test.go). They are Debian packages
// that integration/realservers/setup.sh installs as root on Debian; without
// them these tests skip, except under CI=true, where they fail.
//
// The clients ignore IP SANs, so they connect to "localhost": the fake's
// leaf certificate is issued for certs.LoopbackHosts, which has a DNS SAN
// for localhost (checked by clientHost).

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/faults"
	"github.com/imapprobe/imapprobe/integration/realservers"
)

// clientHost is the name the clients connect to.
const clientHost = "localhost"

// The account the clients log in as: a plain token, so that it needs no
// quoting in their configuration files.
const (
	clientUser     = "alice"
	clientPassword = "alice-clients-pw-4Tq"
)

// clientRunTimeout bounds one client run; the clients' own I/O timeouts are
// clientIOTimeout, well below it, so that a hang shows as the client's own
// timeout error, and a run past this deadline fails the test.
const (
	clientRunTimeout = 60 * time.Second
	// 5 s was too short under -race at a load average near 10: mbsync
	// timed out through the proxy while Dovecot took 0.8 s over a LIST
	clientIOTimeout = 20 // seconds, for mbsync's Timeout and fetchmail's timeout
)

// clientModes are the two TLS paths every client takes.
var clientModes = []fakeserver.Mode{fakeserver.ModeImplicitTLS, fakeserver.ModeStartTLS}

// clientPackages are the Debian packages of the clients, by binary.
var clientPackages = map[string]string{"mbsync": "isync", "fetchmail": "fetchmail", "offlineimap": "offlineimap3", "getmail": "getmail6"}

// needClient returns the path of a real client's binary. When it is
// missing, the test skips with how to install it, or fails under CI=true
// (realservers.Need's rule).
func needClient(t testing.TB, bin string) string {
	t.Helper()
	path, err := exec.LookPath(bin)
	if err != nil {
		realservers.Need(t, &realservers.UnavailableError{
			What:  bin,
			HowTo: "apt-get install " + clientPackages[bin] + " (as root on Debian, integration/realservers/setup.sh does it)",
		})
	}
	return path
}

// startClientFake starts a fake in mode with the faults in specs, each
// parsed by faults.Parse, and checks that its certificate is valid for
// clientHost (the faults that replace the certificate aside).
func startClientFake(t *testing.T, mode fakeserver.Mode, specs ...string) *fakeserver.Server {
	t.Helper()
	var fs []faults.Fault
	for _, s := range specs {
		f, err := faults.Parse(s)
		if err != nil {
			t.Fatalf("faults.Parse(%q): %v", s, err)
		}
		fs = append(fs, f)
	}
	srv := fakeserver.New(t, fakeserver.WithMode(mode), fakeserver.WithUser(clientUser, clientPassword),
		fakeserver.WithFaults(fs...))
	if len(specs) == 0 {
		checkLocalhostSAN(t, srv)
	}
	return srv
}

// checkLocalhostSAN fails the test unless the fake's leaf certificate has a
// DNS SAN for clientHost and verifies for it against the fake's CA.
func checkLocalhostSAN(t *testing.T, srv *fakeserver.Server) {
	t.Helper()
	conf := srv.TLSConfig()
	conf.ServerName = clientHost
	var leaf *x509.Certificate
	conf.VerifyConnection = func(st tls.ConnectionState) error {
		if len(st.PeerCertificates) > 0 {
			leaf = st.PeerCertificates[0]
		}
		return nil
	}
	c, err := dialFake(srv, conf)
	if err != nil {
		t.Fatalf("TLS to the fake as %q: %v (the clients need a DNS SAN for %s)", clientHost, err, clientHost)
	}
	c.Close()
	if leaf == nil || !slices.Contains(leaf.DNSNames, clientHost) {
		t.Fatalf("the fake's certificate lacks a DNS SAN for %q (the clients ignore IP SANs)", clientHost)
	}
}

// dialFake opens an imapclient connection on the fake's main port, over
// implicit TLS or STARTTLS as its mode says.
func dialFake(srv *fakeserver.Server, conf *tls.Config) (*imapclient.Client, error) {
	opts := &imapclient.Options{TLSConfig: conf}
	if srv.Mode() == fakeserver.ModeImplicitTLS {
		return imapclient.DialTLS(srv.Addr(), opts)
	}
	return imapclient.DialStartTLS(srv.Addr(), opts)
}

// fakePort is the fake's main port, as a string.
func fakePort(t *testing.T, srv *fakeserver.Server) string {
	t.Helper()
	_, port, err := net.SplitHostPort(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// writeCA writes the fake's CA certificate to dir/ca.pem.
func writeCA(t *testing.T, srv *fakeserver.Server, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(p, srv.CACertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// clientRun is one finished client run.
type clientRun struct {
	code   int
	output string // stdout and stderr, interleaved
	took   time.Duration
}

// runClient runs bin with args in dir, with HOME set to dir and no
// standard input, and returns its exit code and output. A run that does not
// end within clientRunTimeout is killed and fails the test.
func runClient(t *testing.T, dir string, env []string, bin string, args ...string) clientRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), clientRunTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"HOME=" + dir, "PATH=/usr/bin:/bin", "LC_ALL=C"}, env...)
	cmd.Stdin = nil
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	cmd.WaitDelay = 2 * time.Second
	start := time.Now()
	err := cmd.Run()
	run := clientRun{output: out.String(), took: time.Since(start)}
	if ctx.Err() != nil {
		t.Fatalf("%s did not finish within %v; output:\n%s", filepath.Base(bin), clientRunTimeout, run.output)
	}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && exit.Exited():
		run.code = exit.ExitCode()
	default:
		t.Fatalf("running %s: %v; output:\n%s", filepath.Base(bin), err, run.output)
	}
	t.Logf("%s exited %d after %v", filepath.Base(bin), run.code, run.took.Round(time.Millisecond))
	return run
}

// seedMailboxes are the mailboxes the clients sync: every seeded one (the
// fake seeds no restricted mailbox unless asked to).
var seedMailboxes = []string{"INBOX", "Sent", "Archive", "Archive/2025", "Drafts", "Trash", "Junk"}

// bigMessage is appended to INBOX before a sync, so that one body spans
// many TLS records and FETCH literals of every size the clients read.
// startSyncFake starts the fake for a healthy sync, with bigMessage added
// to the seeded INBOX, and returns it with its messages by mailbox.
func startSyncFake(t *testing.T, mode fakeserver.Mode) (*fakeserver.Server, map[string][][]byte) {
	t.Helper()
	srv := startClientFake(t, mode)
	if err := srv.Append(clientUser, "INBOX", bigMessage()); err != nil {
		t.Fatal(err)
	}
	byBox := fakeMessages(t, srv)
	if n := len(byBox["INBOX"]); n != fakeserver.SeededInbox+1 {
		t.Fatalf("the fake's INBOX holds %d messages, want %d", n, fakeserver.SeededInbox+1)
	}
	return srv, byBox
}

func bigMessage() []byte {
	var b strings.Builder
	b.WriteString("From: Big Sender <big@example.test>\r\nTo: alice@example.test\r\n" +
		"Subject: A large body\r\nDate: Tue, 03 Mar 2026 08:00:00 +0000\r\n" +
		"Message-ID: <big-1@example.test>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	for i := range 3000 {
		fmt.Fprintf(&b, "%05d Grüße, line of a long body: 0123456789abcdefghijklmnopqrstuvwxyz\r\n", i)
	}
	return []byte(b.String())
}

// fakeMessages reads every message of the seeded user's mailboxes from the
// fake with imapclient (BODY.PEEK[], so no flag changes): mailbox -> raw
// messages in sequence order. Call it before faults are set.
func fakeMessages(t *testing.T, srv *fakeserver.Server) map[string][][]byte {
	t.Helper()
	c, err := dialFake(srv, srv.TLSConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	user, pass := srv.User()
	if err := c.Login(user, pass).Wait(); err != nil {
		t.Fatal(err)
	}
	all := map[string][][]byte{}
	section := &imap.FetchItemBodySection{Peek: true}
	for _, mb := range seedMailboxes {
		data, err := c.Select(mb, &imap.SelectOptions{ReadOnly: true}).Wait()
		if err != nil {
			t.Fatalf("EXAMINE %s: %v", mb, err)
		}
		all[mb] = [][]byte{}
		if data.NumMessages == 0 {
			continue
		}
		msgs, err := c.Fetch(imap.SeqSetNum(seqRange(data.NumMessages)...),
			&imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{section}}).Collect()
		if err != nil {
			t.Fatalf("FETCH %s: %v", mb, err)
		}
		for _, m := range msgs {
			all[mb] = append(all[mb], m.FindBodySection(section))
		}
	}
	if err := c.Logout().Wait(); err != nil {
		t.Logf("LOGOUT: %v", err)
	}
	return all
}

func seqRange(n uint32) []uint32 {
	s := make([]uint32, n)
	for i := range s {
		s[i] = uint32(i) + 1
	}
	return s
}

// toLF is raw with every CRLF as LF, the line ends both clients store. It
// fails the test if raw has a bare CR or LF, so that the mapping is one to
// one and a stored message equal to toLF(raw) holds raw's exact bytes.
func toLF(t *testing.T, raw []byte) []byte {
	t.Helper()
	lf := bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n"))
	if bytes.ContainsRune(lf, '\r') || bytes.Count(raw, []byte("\n")) != bytes.Count(raw, []byte("\r\n")) {
		t.Fatalf("the fake's message has a bare CR or LF; cannot compare line ends:\n%q", raw)
	}
	return lf
}

// removeHeader removes the header fields named name (with their folded
// continuation lines) from the header of an LF message, and says how many
// it removed.
func removeHeader(msg []byte, name string) ([]byte, int) {
	end := bytes.Index(msg, []byte("\n\n"))
	if end < 0 {
		end = len(msg)
	}
	head, rest := msg[:end+1], msg[end+1:]
	if end == len(msg) {
		head, rest = msg, nil
	}
	var out []byte
	n, skipping := 0, false
	for line := range bytes.Lines(head) {
		if skipping && (line[0] == ' ' || line[0] == '\t') {
			continue
		}
		skipping = false
		if len(line) > len(name) && line[len(name)] == ':' && strings.EqualFold(string(line[:len(name)]), name) {
			skipping = true
			n++
			continue
		}
		out = append(out, line...)
	}
	return append(out, rest...), n
}

// sameMessages checks that got (as stored, LF line ends, additions
// removed) holds exactly the messages of want (raw from the fake), each
// byte for byte, in any order.
func sameMessages(t *testing.T, where string, want, got [][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d messages stored, want %d", where, len(got), len(want))
	}
	left := slices.Clone(got)
	for i, raw := range want {
		lf := toLF(t, raw)
		j := slices.IndexFunc(left, func(g []byte) bool { return bytes.Equal(g, lf) })
		if j < 0 {
			t.Errorf("%s: message %d of the fake (%d bytes, %q...) was not stored byte-identically", where, i+1, len(raw), firstLine(raw))
			continue
		}
		left = slices.Delete(left, j, j+1)
	}
	for _, g := range left {
		t.Errorf("%s: stored a message the fake does not hold (%d bytes):\n%s", where, len(g), clip(g, 600))
	}
}

func firstLine(b []byte) []byte {
	if i := bytes.IndexAny(b, "\r\n"); i >= 0 {
		return b[:i]
	}
	return b
}

func clip(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}

// firedFaults is "KIND@HOOK xCOUNT" for each fault that fired on any of
// the fake's connections, and the last command of each faulted connection.
func firedFaults(srv *fakeserver.Server) (fired []string, count int) {
	for _, rec := range srv.Connections() {
		for _, f := range rec.Faults {
			last := ""
			if n := len(rec.Commands); n > 0 {
				last = rec.Commands[n-1].Name
				if rec.Commands[n-1].UID {
					last = "UID " + last
				}
			}
			fired = append(fired, fmt.Sprintf("%s@%s x%d (conn %d, last command %s, closed by %s)", f.Kind, f.Hook, f.Count, rec.ID, last, rec.Closed))
			count += f.Count
		}
	}
	return fired, count
}

// transcripts is every connection's transcript, for failure messages.
func transcripts(srv *fakeserver.Server) string {
	var b strings.Builder
	for _, rec := range srv.Connections() {
		fmt.Fprintf(&b, "-- connection %d (%s, closed by %s)\n", rec.ID, rec.Port, rec.Closed)
		for _, l := range rec.Transcript {
			fmt.Fprintf(&b, "%s\n", l)
		}
	}
	return b.String()
}

// clientFault is a fault a real client must fail under, and how it fails.
type clientFault struct {
	name string
	spec string
	// fire is the kind and hook the fault must fire at ("cert@tls").
	fire string
	// lastCommand, when set, is the last command on the faulted
	// connection ("UID FETCH": the drop came mid-FETCH), and closedByFault
	// that the fault closed that connection.
	lastCommand   string
	closedByFault bool
	code          int
	message       string // a stable part of the client's output
}

// checkClientFault checks a client run under one fault: its exit code, its
// message, and that the fault fired at its hook (and, for a drop, after
// the command named).
func checkClientFault(t *testing.T, srv *fakeserver.Server, f clientFault, run clientRun) {
	t.Helper()
	if run.code != f.code {
		t.Errorf("exit code %d, want %d", run.code, f.code)
	}
	if !strings.Contains(run.output, f.message) {
		t.Errorf("output lacks %q", f.message)
	}
	fired := 0
	for _, rec := range srv.Connections() {
		for _, ff := range rec.Faults {
			if ff.Kind+"@"+ff.Hook != f.fire || ff.Count == 0 {
				continue
			}
			fired++
			last := ""
			if n := len(rec.Commands); n > 0 {
				last = rec.Commands[n-1].Name
				if rec.Commands[n-1].UID {
					last = "UID " + last
				}
			}
			if f.lastCommand != "" && last != f.lastCommand {
				t.Errorf("connection %d: last command %s, want %s", rec.ID, last, f.lastCommand)
			}
			if f.closedByFault && rec.Closed != fakeserver.ClosedByFault {
				t.Errorf("connection %d closed by %q, want by the fault", rec.ID, rec.Closed)
			}
		}
	}
	if fired == 0 {
		t.Errorf("fault %q never fired as %s; fired: %q", f.spec, f.fire, must(firedFaults(srv)))
	}
	if t.Failed() {
		t.Logf("output:\n%s\n%s", run.output, transcripts(srv))
	}
}

func must[T any](v T, _ int) T { return v }

// writeConfig writes a client's configuration, which holds the password,
// readable by its owner only, and returns its path.
func writeConfig(t *testing.T, dir, name, conf string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
