package integration

import (
	"bufio"
	"crypto/tls"
	"encoding/base64"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/integration/realservers"
)

var (
	update   = flag.Bool("update", false, "rewrite the golden Dovecot wire bytes in testdata")
	updateMu sync.Mutex // launchers run in parallel
)

// wireGolden holds Dovecot's real bytes for greetings, capabilities and error
// replies, for a fake-server persona that mimics Dovecot to be compared with.
const wireGolden = "testdata/dovecot_wire.txt"

// TestDovecotWireBytes records what Dovecot says to a fixed client script
// and compares it with the golden file, so a Dovecot persona in the fake can
// be checked against real bytes. Timings are replaced by "(T secs)";
// secrets sent by the client by placeholders.
func TestDovecotWireBytes(t *testing.T) {
	// Mostly waiting out Dovecot's delays after failed logins.
	t.Parallel()
	eachLauncher(t, func(t *testing.T, l realservers.Launcher) {
		t.Parallel()
		inst := startDovecot(t, l, realservers.Config{})
		got := "# Dovecot " + inst.Version + "\n" + captureWire(t, dovecotServer{inst})
		checkGolden(t, wireGolden, got)
	})
}

// checkGolden compares got, a capture whose first line names the server's
// version, with the golden file at path; -update writes it instead. A
// golden file of another version skips the test.
func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		updateMu.Lock()
		defer updateMu.Unlock()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to record it)", err)
	}
	wantVersion, _, _ := strings.Cut(string(want), "\n")
	if gotVersion, _, _ := strings.Cut(got, "\n"); wantVersion != gotVersion {
		t.Skipf("golden bytes are from %s; this server is %s", strings.TrimPrefix(wantVersion, "# "), strings.TrimPrefix(gotVersion, "# "))
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("the server's bytes differ from %s (-want +got):\n%s", path, diff)
	}
}

// wireSession is one connection of the capture script.
type wireSession struct {
	heading string
	tls     bool   // implicit-TLS port; else the plain port
	source  string // local address to dial from; "" for any
	steps   []wireStep
}

// wireStep sends line (recorded as shown, when set, to hide secrets) and
// reads until the tagged reply, or a "+ " continuation with cont. With
// startTLS it upgrades the connection after the reply.
type wireStep struct {
	line, shown string
	cont        bool
	startTLS    bool
}

func wireSessions() []wireSession {
	user, pw := realservers.DefaultUser, realservers.DefaultPassword
	return []wireSession{
		{heading: "plain port, STARTTLS, login, mailbox errors", steps: []wireStep{
			{line: "a CAPABILITY"},
			{line: "b STARTTLS", startTLS: true},
			{line: "c CAPABILITY"},
			{line: "d LOGIN " + user + " " + wrongSecret, shown: "d LOGIN " + user + " <wrong password>"},
			{line: "e LOGIN " + user + " " + pw, shown: "e LOGIN " + user + " <password>"},
			// The first SELECT of a missing mailbox in a never-used maildir
			// gets NOPERM from the ACL plugin; later ones "Mailbox doesn't exist".
			{line: "f SELECT Nonexistent"},
			{line: "g SELECT " + realservers.DeniedMailbox},
			{line: "h SELECT Nonexistent"},
			{line: "i LOGOUT"},
		}},
		{heading: "implicit TLS port", tls: true, steps: []wireStep{
			{line: "a AUTHENTICATE XOAUTH2 " + xoauth2(user, wrongSecret), shown: "a AUTHENTICATE XOAUTH2 <bad token>", cont: true},
			{line: ""},
			{line: "b AUTHENTICATE OAUTHBEARER " + oauthbearer(user, wrongSecret), shown: "b AUTHENTICATE OAUTHBEARER <bad token>", cont: true},
			{line: "AQ=="},
			{line: "c LOGOUT"},
		}},
		// go-imap's client answers a challenge with an empty reply as "=",
		// which Dovecot takes for bad base64 in a continuation.
		{heading: `XOAUTH2 error challenge answered with "="`, tls: true, steps: []wireStep{
			{line: "a AUTHENTICATE XOAUTH2 " + xoauth2(user, wrongSecret), shown: "a AUTHENTICATE XOAUTH2 <bad token>", cont: true},
			{line: "="},
		}},
		{heading: "plain port from 127.0.0.2 (not secured)", source: "127.0.0.2", steps: []wireStep{
			{line: "a LOGIN " + user + " " + pw, shown: "a LOGIN " + user + " <password>"},
			{line: "b LOGOUT"},
		}},
		// Flags as Dovecot spells them (issue 11): SELECT's and EXAMINE's
		// FLAGS and PERMANENTFLAGS before and after keywords exist, FETCH
		// FLAGS, system flags sent in other cases, a keyword in two
		// spellings. The first SELECT takes the messages' \Recent, so that
		// the FETCHes after the next one show none.
		{heading: "select, store and fetch flags", tls: true, steps: []wireStep{
			{line: "a LOGIN " + user + " " + pw, shown: "a LOGIN " + user + " <password>"},
			{line: "b SELECT INBOX"},
			{line: "c EXAMINE INBOX"},
			{line: "d FETCH 1:3 (FLAGS)"},
			{line: "e SELECT INBOX"},
			{line: `f STORE 1 +FLAGS (\Seen \Flagged)`},
			{line: `g STORE 2 +FLAGS (\answered \SEEN $Junk)`},
			{line: `h STORE 3 +FLAGS ($junk NonJunk \Draft)`},
			{line: "i UID FETCH 1:3 (UID FLAGS)"},
			{line: `j STORE 2 -FLAGS.SILENT (\Seen)`},
			{line: `k STORE 1 FLAGS (\deleted \Seen)`},
			{line: "l SELECT INBOX"},
			{line: "m EXAMINE INBOX"},
			{line: "n FETCH 1:3 (FLAGS)"},
			// STORE and EXPUNGE in a mailbox opened with EXAMINE change
			// nothing (message 1 is \Deleted).
			{line: `o STORE 1 +FLAGS (\Flagged)`},
			{line: `p UID STORE 1 +FLAGS (\Flagged)`},
			{line: "q EXPUNGE"},
			{line: "r UID EXPUNGE 1:3"},
			{line: "s FETCH 1 (FLAGS)"},
			{line: "t LOGOUT"},
		}},
		refusalsSession(),
	}
}

// refusalsSession records what the server says where a caps fault makes
// the fake refuse (fakeserver's refusal texts): an unoffered mechanism,
// with and without an initial response, an unknown command before and
// after login.
func refusalsSession() wireSession {
	user, pw := realservers.DefaultUser, realservers.DefaultPassword
	return wireSession{heading: "refusals", tls: true, steps: []wireStep{
		{line: "a AUTHENTICATE XFOO"},
		{line: "b AUTHENTICATE XFOO AAAA"},
		{line: "c XYZZY"},
		{line: "d LOGIN " + user + " " + pw, shown: "d LOGIN " + user + " <password>"},
		{line: "e XYZZY"},
		{line: "f LOGOUT"},
	}}
}

// captureWire runs wireSessions against inst and returns the record: "S: "
// and "C: " lines, "## heading" per session, "-- TLS --" at an upgrade.
func captureWire(t *testing.T, s server) string { return captureSessions(t, s, wireSessions()) }

// captureSessions is captureWire for the sessions given.
func captureSessions(t *testing.T, s server, sessions []wireSession) string {
	tlsConf := &tls.Config{RootCAs: s.pool(), ServerName: s.host()}
	var rec strings.Builder
	for _, sess := range sessions {
		fmt.Fprintf(&rec, "## %s\n", sess.heading)
		d := net.Dialer{Timeout: 10 * time.Second}
		if sess.source != "" {
			d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(sess.source)}
		}
		port := s.plainPort()
		if sess.tls {
			port = s.tlsPort()
		}
		addr := net.JoinHostPort(s.host(), strconv.Itoa(port))
		conn, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
		var rw net.Conn = conn
		if sess.tls {
			rw = tls.Client(conn, tlsConf)
		}
		r := bufio.NewReader(rw)
		// expect records server lines up to one starting with prefix.
		expect := func(prefix string) {
			t.Helper()
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					t.Fatalf("waiting for %q: %v\n%s", prefix, err, rec.String())
				}
				line = normalizeUIDValidity(fakeserver.NormalizeTimings(strings.TrimSuffix(line, "\r\n")))
				fmt.Fprintf(&rec, "S: %s\n", line)
				if strings.HasPrefix(line, prefix) {
					return
				}
			}
		}
		expect("* OK")
		for i, st := range sess.steps {
			shown := st.shown
			if shown == "" {
				shown = st.line
			}
			fmt.Fprintf(&rec, "C: %s\n", shown)
			if _, err := rw.Write([]byte(st.line + "\r\n")); err != nil {
				t.Fatal(err)
			}
			switch {
			case st.cont:
				expect("+ ")
			case i > 0 && sess.steps[i-1].cont:
				expect(sess.steps[i-1].line[:2]) // the tag of the AUTHENTICATE
			default:
				expect(st.line[:2])
			}
			if st.startTLS {
				c := tls.Client(conn, tlsConf)
				if err := c.Handshake(); err != nil {
					t.Fatal(err)
				}
				rw, r = c, bufio.NewReader(c)
				rec.WriteString("-- TLS --\n")
			}
		}
	}
	return rec.String()
}

func xoauth2(user, token string) string {
	return base64.StdEncoding.EncodeToString([]byte("user=" + user + "\x01auth=Bearer " + token + "\x01\x01"))
}

func oauthbearer(user, token string) string {
	return base64.StdEncoding.EncodeToString([]byte("n,a=" + user + ",\x01auth=Bearer " + token + "\x01\x01"))
}

// uidValidityRE matches Dovecot's UIDVALIDITY, the time the mailbox was
// created, which differs on every run.
var uidValidityRE = regexp.MustCompile(`\[UIDVALIDITY \d+\]`)

func normalizeUIDValidity(line string) string {
	return uidValidityRE.ReplaceAllString(line, "[UIDVALIDITY N]")
}
