package fakeserver_test

import (
	"bytes"
	"encoding/base64"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-sasl"
	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/faults"
	"github.com/imapprobe/imapprobe/internal/testkit"
)

// proxyTo starts a proxy in front of upstream (a fake with its own CA),
// reaching it by url, with the given client-side mode and faults.
func proxyTo(t *testing.T, upstream *fakeserver.Server, url string, mode fakeserver.Mode, specs ...string) *fakeserver.Server {
	t.Helper()
	opts := []fakeserver.Option{
		fakeserver.WithMode(mode),
		fakeserver.WithUpstream(fakeserver.Upstream{URL: url, RootCAs: upstream.CAPool()}),
	}
	if len(specs) > 0 {
		var set []faults.Fault
		for _, s := range specs {
			set = append(set, faults.MustParse(s))
		}
		opts = append(opts, fakeserver.WithFaults(set...))
	}
	return fakeserver.New(t, opts...)
}

// TestProxyPassesASession: a client of the proxy logs in to the upstream
// with the upstream's password, and sees the upstream's mailboxes and
// message bytes, over implicit TLS and STARTTLS on either side.
func TestProxyPassesASession(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name         string
		upstreamMode fakeserver.Mode
		scheme       string
		clientMode   fakeserver.Mode
	}{
		{"imaps to imaps", fakeserver.ModeImplicitTLS, "imaps://", fakeserver.ModeImplicitTLS},
		{"starttls to imaps", fakeserver.ModeImplicitTLS, "imaps://", fakeserver.ModeStartTLS},
		{"imaps to starttls", fakeserver.ModeStartTLS, "imap://", fakeserver.ModeImplicitTLS},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			up := fakeserver.New(t, fakeserver.WithMode(tc.upstreamMode), fakeserver.WithUser("bob", "upstream-secret-1"))
			up.Append("bob", "INBOX", []byte("Subject: only upstream\r\n\r\nhello from upstream\r\n"))
			px := proxyTo(t, up, tc.scheme+up.Addr(), tc.clientMode)
			c := dial(t, px)
			if err := c.Login("bob", "upstream-secret-1").Wait(); err != nil {
				t.Fatalf("login through the proxy: %v", err)
			}
			data, err := c.Select("INBOX", nil).Wait()
			if err != nil || data.NumMessages != 4 {
				t.Fatalf("SELECT INBOX: %v, %+v; want the upstream's 4 messages", err, data)
			}
			msgs, err := c.Fetch(imap.SeqSetNum(4), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{{Peek: true}}}).Collect()
			if err != nil || len(msgs) != 1 {
				t.Fatalf("FETCH 4: %v, %d messages", err, len(msgs))
			}
			for _, b := range msgs[0].BodySection {
				if !bytes.Contains(b.Bytes, []byte("hello from upstream")) {
					t.Fatalf("FETCH 4 body %q: not the upstream's", b.Bytes)
				}
			}
			if err := c.Logout().Wait(); err != nil {
				t.Fatalf("LOGOUT: %v", err)
			}
		})
	}
}

// TestProxyFaults: the fake's faults act on the upstream's session.
func TestProxyFaults(t *testing.T) {
	t.Parallel()
	up := fakeserver.New(t, fakeserver.WithUser("bob", "upstream-secret-2"))
	px := proxyTo(t, up, "imaps://"+up.Addr(), fakeserver.ModeImplicitTLS, "reply:SELECT=NO [NOPERM] not today", "caps:-IDLE")
	r := dialRaw(t, px.Addr(), px.TLSConfig())
	g := r.line()
	if !strings.HasPrefix(g, "* OK [CAPABILITY ") || strings.Contains(g, " IDLE") {
		t.Fatalf("greeting %q: want the upstream's, without IDLE", g)
	}
	r.send("a LOGIN bob upstream-secret-2\r\n")
	if l := r.line(); !strings.HasPrefix(l, "a OK ") {
		t.Fatalf("LOGIN: %q", l)
	}
	r.send("b SELECT INBOX\r\n")
	if l := r.line(); l != "b NO [NOPERM] not today\r\n" {
		t.Fatalf("SELECT: %q", l)
	}
	r.send("c EXAMINE INBOX\r\n")
	lines := r.until("c ")
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "c OK ") {
		t.Fatalf("EXAMINE went through? %q", lines)
	}
	r.send("d IDLE\r\n")
	if l := r.line(); !strings.HasPrefix(l, "d BAD ") {
		t.Fatalf("IDLE with IDLE removed: %q", l)
	}
	// The password was never recorded or logged.
	for _, rec := range px.Connections() {
		if strings.Contains(jsonString(t, rec), "upstream-secret-2") {
			t.Fatalf("record holds the password: %s", jsonString(t, rec))
		}
	}
}

// TestProxyUpstreamDown: an unreachable upstream gives the client a BYE
// greeting at once, not a hang.
func TestProxyUpstreamDown(t *testing.T) {
	t.Parallel()
	up := fakeserver.New(t)
	url := "imaps://" + up.Addr()
	up.Close()
	px := fakeserver.New(t, fakeserver.WithUpstream(fakeserver.Upstream{URL: url, RootCAs: up.CAPool()}))
	r := dialRaw(t, px.Addr(), px.TLSConfig())
	if g := r.line(); g != "* BYE [UNAVAILABLE] upstream server unreachable\r\n" {
		t.Fatalf("greeting %q", g)
	}
}

// TestProxyBadUpstream: a URL the proxy cannot use is refused at Start.
func TestProxyBadUpstream(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ url, want string }{
		{"http://127.0.0.1:1", `upstream "http://127.0.0.1:1": scheme "http": want imaps:// (implicit TLS) or imap:// (STARTTLS)`},
		{"127.0.0.1:993", `upstream "127.0.0.1:993": want imaps://host:port or imap://host:port`},
	} {
		_, err := fakeserver.Start(fakeserver.WithUpstream(fakeserver.Upstream{URL: tc.url}))
		if err == nil || err.Error() != tc.want {
			t.Errorf("Start(%q) = %v, want %q", tc.url, err, tc.want)
		}
	}
	_, err := fakeserver.Start(fakeserver.WithUpstream(fakeserver.Upstream{URL: "imaps://127.0.0.1:1"}), fakeserver.WithPersona(fakeserver.PersonaDovecot))
	if err == nil || !strings.Contains(err.Error(), "exclude each other") {
		t.Errorf("proxy with a persona: %v", err)
	}
}

// TestProxyCanary: a password and a SASL payload sent through the proxy
// appear in no log line, transcript, record or control API answer.
func TestProxyCanary(t *testing.T) {
	t.Parallel()
	const canary = "proxy-canary-Zq81x"
	up := fakeserver.New(t, fakeserver.WithUser("carol", canary))
	var logs testkit.Buffer
	px := fakeserver.New(t, fakeserver.WithLogger(newTextLogger(&logs)), fakeserver.WithLogTranscripts(),
		fakeserver.WithUpstream(fakeserver.Upstream{URL: "imaps://" + up.Addr(), RootCAs: up.CAPool()}))
	c := dial(t, px)
	if err := c.Login("carol", canary).Wait(); err != nil {
		t.Fatalf("LOGIN through the proxy: %v", err)
	}
	c.Logout().Wait()
	c.Close()
	// And AUTHENTICATE PLAIN, whose payload is the secret in base64.
	c2 := dial(t, px)
	if err := c2.Authenticate(sasl.NewPlainClient("", "carol", canary)); err != nil {
		t.Fatalf("AUTHENTICATE through the proxy: %v", err)
	}
	c2.Logout().Wait()
	c2.Close()
	recs := waitEnded(t, px, 2)
	rec := httptest.NewRecorder()
	px.ControlHandler().ServeHTTP(rec, httptest.NewRequest("GET", "http://127.0.0.1:1/connections", nil))
	if rec.Code != 200 {
		t.Fatalf("GET /connections: %d %s", rec.Code, rec.Body)
	}
	b64 := base64.StdEncoding.EncodeToString([]byte("\x00carol\x00" + canary))
	for name, out := range map[string]string{"log": logs.String(), "records": jsonString(t, recs), "control API": rec.Body.String()} {
		if strings.Contains(out, canary) || strings.Contains(out, b64) {
			t.Errorf("the %s holds the canary:\n%s", name, out)
		}
	}
	if !strings.Contains(logs.String(), "LOGIN") {
		t.Fatalf("the log has no transcript to check:\n%s", logs.String())
	}
}
