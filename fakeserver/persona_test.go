package fakeserver_test

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/imapprobe/imapprobe/fakeserver"
)

// dovecotWire holds Dovecot's real bytes, recorded by the integration
// suite (TestDovecotWireBytes).
const dovecotWire = "../integration/testdata/dovecot_wire.txt"

const (
	wireUser     = "alice"
	wirePassword = "wire-secret-9f2c"
	wireToken    = "wire-token-51ab"
)

// wireSection is one connection of the capture.
type wireSection struct {
	heading string
	// greeting is the S: lines before the first C: line.
	greeting []string
	steps    []wireExchange
}

// wireExchange is a client line and the server lines recorded after it.
type wireExchange struct {
	client   string
	server   []string
	startTLS bool // "-- TLS --" follows the server lines
}

func readWireCapture(t *testing.T) []wireSection {
	t.Helper()
	data, err := os.ReadFile(dovecotWire)
	if err != nil {
		t.Fatal(err)
	}
	var out []wireSection
	for _, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		var cur *wireSection
		if len(out) > 0 {
			cur = &out[len(out)-1]
		}
		switch {
		case strings.HasPrefix(line, "## "):
			out = append(out, wireSection{heading: line[3:]})
		case strings.HasPrefix(line, "# "):
		case cur == nil:
			t.Fatalf("%s: line outside a section: %q", dovecotWire, line)
		case line == "-- TLS --" && len(cur.steps) > 0:
			cur.steps[len(cur.steps)-1].startTLS = true
		case strings.HasPrefix(line, "C: "):
			cur.steps = append(cur.steps, wireExchange{client: line[3:]})
		case strings.HasPrefix(line, "S: ") && len(cur.steps) == 0:
			cur.greeting = append(cur.greeting, line[3:])
		case strings.HasPrefix(line, "S: "):
			step := &cur.steps[len(cur.steps)-1]
			step.server = append(step.server, line[3:])
		default:
			t.Fatalf("%s: unknown line %q", dovecotWire, line)
		}
	}
	return out
}

// wireSetups says how to set up the fake like the Dovecot of each section.
// Dovecot counts plaintext from 127.0.0.1 as secured and offers AUTH= on
// its plain port; the fake does so with plaintext auth allowed.
var wireSetups = map[string]struct {
	tls    bool   // dial the implicit-TLS port
	source string // local address to dial from
	opts   []fakeserver.Option
}{
	"plain port, STARTTLS, login, mailbox errors": {
		opts: []fakeserver.Option{fakeserver.WithMode(fakeserver.ModeStartTLS), fakeserver.WithAllowPlaintextAuth(true)},
	},
	"implicit TLS port":                         {tls: true},
	`XOAUTH2 error challenge answered with "="`: {tls: true},
	"plain port from 127.0.0.2 (not secured)": {
		source: "127.0.0.2",
		opts:   []fakeserver.Option{fakeserver.WithMode(fakeserver.ModeStartTLS)},
	},
}

// notReproduced lists every Dovecot line the persona deliberately answers
// otherwise, with what it says instead and why. Any other difference fails.
var notReproduced = []struct {
	heading, dovecot, fake, why string
}{
	{
		heading: "plain port, STARTTLS, login, mailbox errors",
		dovecot: "f NO [NOPERM] Permission denied (T secs).",
		fake:    "f NO Mailbox doesn't exist: Nonexistent (T secs).",
		why: "Dovecot's ACL plugin answers the first SELECT of a missing mailbox in a never-used " +
			"maildir with NOPERM, an artefact of the fresh test maildir; later ones (line h) are reproduced",
	},
	{
		heading: "plain port, STARTTLS, login, mailbox errors",
		dovecot: "* CAPABILITY " + dovecotPostLogin,
		fake:    "* CAPABILITY " + withoutCaps(dovecotPostLogin, fakeserver.DovecotPostLoginMissing),
		why:     "the persona advertises only what the go-imap backend implements (no SORT, THREAD, CONDSTORE, ACL...)",
	},
}

const dovecotPostLogin = "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY THREAD=REFERENCES " +
	"THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN NAMESPACE UIDPLUS " +
	"LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS " +
	"BINARY MOVE SNIPPET=FUZZY PREVIEW=FUZZY PREVIEW STATUS=SIZE SAVEDATE LITERAL+ NOTIFY ACL RIGHTS=texk"

func withoutCaps(list string, drop []string) string {
	var out []string
	for _, c := range strings.Fields(list) {
		keep := true
		for _, d := range drop {
			keep = keep && c != d
		}
		if keep {
			out = append(out, c)
		}
	}
	return strings.Join(out, " ")
}

// TestPersonaDovecotMatchesCapture replays each connection of Dovecot's
// capture against the fake with the Dovecot persona and compares every
// server line.
func TestPersonaDovecotMatchesCapture(t *testing.T) {
	t.Parallel()
	sections := readWireCapture(t)
	if len(sections) != len(wireSetups) {
		t.Errorf("%s has %d sections, the test sets up %d: add the new ones to wireSetups", dovecotWire, len(sections), len(wireSetups))
	}
	used := make([]bool, len(notReproduced))
	for _, sec := range sections {
		setup, ok := wireSetups[sec.heading]
		if !ok {
			t.Errorf("no set-up for section %q", sec.heading)
			continue
		}
		t.Run(sec.heading, func(t *testing.T) {
			opts := append([]fakeserver.Option{
				fakeserver.WithPersona(fakeserver.PersonaDovecot),
				fakeserver.WithUser(wireUser, wirePassword),
				fakeserver.WithToken(wireUser, wireToken),
			}, setup.opts...)
			srv := fakeserver.New(t, opts...)
			w := dialWire(t, srv, setup.tls, setup.source)
			compare := func(want string) {
				t.Helper()
				got := fakeserver.NormalizeTimings(w.line())
				for i, n := range notReproduced {
					if n.heading == sec.heading && n.dovecot == want {
						used[i] = true
						want = n.fake
					}
				}
				if got != want {
					t.Errorf("server line differs from Dovecot's\n got: %q\nwant: %q", got, want)
				}
			}
			for _, want := range sec.greeting {
				compare(want)
			}
			for _, st := range sec.steps {
				w.send(substitutePlaceholders(st.client))
				for _, want := range st.server {
					compare(want)
				}
				if st.startTLS {
					w.startTLS(srv.TLSConfig())
				}
			}
		})
	}
	for i, n := range notReproduced {
		if !used[i] {
			t.Errorf("notReproduced entry never met (stale?): %q", n.dovecot)
		}
	}
}

// substitutePlaceholders puts real credentials where the capture hides them.
func substitutePlaceholders(line string) string {
	switch {
	case strings.Contains(line, "AUTHENTICATE XOAUTH2 <bad token>"):
		return strings.Replace(line, "<bad token>", b64("user="+wireUser+"\x01auth=Bearer bad-"+wireToken+"\x01\x01"), 1)
	case strings.Contains(line, "AUTHENTICATE OAUTHBEARER <bad token>"):
		return strings.Replace(line, "<bad token>", b64("n,a="+wireUser+",\x01auth=Bearer bad-"+wireToken+"\x01\x01"), 1)
	}
	return strings.NewReplacer("<wrong password>", "wrong-"+wirePassword, "<password>", wirePassword).Replace(line)
}

// wireConn is a raw client that can dial from a given loopback address
// and upgrade with STARTTLS.
type wireConn struct {
	t    *testing.T
	raw  net.Conn
	conn net.Conn
	br   *bufio.Reader
}

func dialWire(t *testing.T, srv *fakeserver.Server, implicitTLS bool, source string) *wireConn {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second}
	if source != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(source)}
	}
	addr := srv.PlainAddr()
	if implicitTLS {
		addr = srv.TLSAddr()
	}
	raw, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	_ = raw.SetDeadline(time.Now().Add(10 * time.Second))
	w := &wireConn{t: t, raw: raw, conn: raw, br: bufio.NewReader(raw)}
	if implicitTLS {
		w.startTLS(srv.TLSConfig())
	}
	return w
}

func (w *wireConn) startTLS(cfg *tls.Config) {
	w.t.Helper()
	tc := tls.Client(w.raw, cfg)
	if err := tc.Handshake(); err != nil {
		w.t.Fatal(err)
	}
	w.conn, w.br = tc, bufio.NewReader(tc)
}

func (w *wireConn) send(line string) {
	w.t.Helper()
	if _, err := io.WriteString(w.conn, line+"\r\n"); err != nil {
		w.t.Fatal(err)
	}
}

// line reads one server line without its CRLF.
func (w *wireConn) line() string {
	w.t.Helper()
	l, err := w.br.ReadString('\n')
	if err != nil {
		w.t.Fatalf("read: %v (got %q)", err, l)
	}
	if !strings.HasSuffix(l, "\r\n") {
		w.t.Fatalf("line without CRLF: %q", l)
	}
	return strings.TrimSuffix(l, "\r\n")
}
