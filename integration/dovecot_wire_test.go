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
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

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
		got := "# Dovecot " + inst.Version + "\n" + captureWire(t, inst)
		if *update {
			updateMu.Lock()
			defer updateMu.Unlock()
			if err := os.MkdirAll(filepath.Dir(wireGolden), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(wireGolden, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		want, err := os.ReadFile(wireGolden)
		if err != nil {
			t.Fatalf("%v (run with -update to record it)", err)
		}
		wantVersion, _, _ := strings.Cut(string(want), "\n")
		if wantVersion != "# Dovecot "+inst.Version {
			t.Skipf("golden bytes are from %s; this server is Dovecot %s", strings.TrimPrefix(wantVersion, "# "), inst.Version)
		}
		if diff := cmp.Diff(string(want), got); diff != "" {
			t.Errorf("Dovecot's bytes differ from %s (-want +got):\n%s", wireGolden, diff)
		}
	})
}

// timings matches Dovecot's "(0.001 + 0.000 + 0.001 secs)" reply suffix.
var timings = regexp.MustCompile(`\(\d+\.\d+( \+ \d+\.\d+)+ secs\)`)

// wireScript talks IMAP line by line and records both directions.
type wireScript struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
	log  strings.Builder
}

func dialScript(t *testing.T, addr, source string, useTLS bool, pool *tlsPool) *wireScript {
	t.Helper()
	d := net.Dialer{Timeout: 10 * time.Second}
	if source != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(source)}
	}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if useTLS {
		conn = tls.Client(conn, pool.config())
	}
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	s := &wireScript{t: t, conn: conn, r: bufio.NewReader(conn)}
	t.Cleanup(func() { conn.Close() })
	return s
}

type tlsPool struct{ inst *realservers.Instance }

func (p *tlsPool) config() *tls.Config {
	return &tls.Config{RootCAs: p.inst.CAPool, ServerName: p.inst.Host}
}

func (s *wireScript) heading(h string) { fmt.Fprintf(&s.log, "## %s\n", h) }

// send writes line; shown, if not empty, replaces it in the record.
func (s *wireScript) send(line, shown string) {
	s.t.Helper()
	if shown == "" {
		shown = line
	}
	fmt.Fprintf(&s.log, "C: %s\n", shown)
	if _, err := s.conn.Write([]byte(line + "\r\n")); err != nil {
		s.t.Fatal(err)
	}
}

// expect reads lines until one starts with prefix.
func (s *wireScript) expect(prefix string) {
	s.t.Helper()
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			s.t.Fatalf("waiting for %q: %v\n%s", prefix, err, s.log.String())
		}
		line = timings.ReplaceAllString(strings.TrimSuffix(line, "\r\n"), "(T secs)")
		fmt.Fprintf(&s.log, "S: %s\n", line)
		if strings.HasPrefix(line, prefix) {
			return
		}
	}
}

func (s *wireScript) startTLS(p *tlsPool) {
	s.t.Helper()
	c := tls.Client(s.conn, p.config())
	if err := c.Handshake(); err != nil {
		s.t.Fatal(err)
	}
	s.conn, s.r = c, bufio.NewReader(c)
	fmt.Fprintf(&s.log, "-- TLS --\n")
}

func captureWire(t *testing.T, inst *realservers.Instance) string {
	pool := &tlsPool{inst}
	user, pw := realservers.DefaultUser, realservers.DefaultPassword
	var out strings.Builder

	s := dialScript(t, inst.Addr(), "", false, pool)
	s.heading("plain port, STARTTLS, login, mailbox errors")
	s.expect("* OK")
	s.send("a CAPABILITY", "")
	s.expect("a ")
	s.send("b STARTTLS", "")
	s.expect("b ")
	s.startTLS(pool)
	s.send("c CAPABILITY", "")
	s.expect("c ")
	s.send("d LOGIN "+user+" "+wrongSecret, "d LOGIN "+user+" <wrong password>")
	s.expect("d ")
	s.send("e LOGIN "+user+" "+pw, "e LOGIN "+user+" <password>")
	s.expect("e ")
	// The first SELECT of a missing mailbox in a never-used maildir gets
	// NOPERM from the ACL plugin; later ones get "Mailbox doesn't exist".
	s.send("f SELECT Nonexistent", "")
	s.expect("f ")
	s.send("g SELECT "+realservers.DeniedMailbox, "")
	s.expect("g ")
	s.send("h SELECT Nonexistent", "")
	s.expect("h ")
	s.send("i LOGOUT", "")
	s.expect("i ")
	out.WriteString(s.log.String())

	s = dialScript(t, inst.TLSAddr(), "", true, pool)
	s.heading("implicit TLS port")
	s.expect("* OK")
	s.send("a AUTHENTICATE XOAUTH2 "+xoauth2(user, wrongSecret), "a AUTHENTICATE XOAUTH2 <bad token>")
	s.expect("+ ")
	s.send("", "")
	s.expect("a ")
	s.send("b AUTHENTICATE OAUTHBEARER "+oauthbearer(user, wrongSecret), "b AUTHENTICATE OAUTHBEARER <bad token>")
	s.expect("+ ")
	s.send("AQ==", "")
	s.expect("b ")
	s.send("c LOGOUT", "")
	s.expect("c ")
	out.WriteString(s.log.String())

	// go-imap's client answers a challenge with an empty reply as "=",
	// which Dovecot takes for bad base64 in a continuation.
	s = dialScript(t, inst.TLSAddr(), "", true, pool)
	s.heading("XOAUTH2 error challenge answered with \"=\"")
	s.expect("* OK")
	s.send("a AUTHENTICATE XOAUTH2 "+xoauth2(user, wrongSecret), "a AUTHENTICATE XOAUTH2 <bad token>")
	s.expect("+ ")
	s.send("=", "")
	s.expect("a ")
	out.WriteString(s.log.String())

	s = dialScript(t, inst.Addr(), "127.0.0.2", false, pool)
	s.heading("plain port from 127.0.0.2 (not secured)")
	s.expect("* OK")
	s.send("a LOGIN "+user+" "+pw, "a LOGIN "+user+" <password>")
	s.expect("a ")
	s.send("b LOGOUT", "")
	s.expect("b ")
	out.WriteString(s.log.String())
	return out.String()
}

func xoauth2(user, token string) string {
	return base64.StdEncoding.EncodeToString([]byte("user=" + user + "\x01auth=Bearer " + token + "\x01\x01"))
}

func oauthbearer(user, token string) string {
	return base64.StdEncoding.EncodeToString([]byte("n,a=" + user + ",\x01auth=Bearer " + token + "\x01\x01"))
}
