package fakeserver_test

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/faults"
)

// dial connects an imapclient to srv's main port as its mode requires and
// waits for the greeting.
func dial(t *testing.T, srv *fakeserver.Server) *imapclient.Client {
	t.Helper()
	c, err := dialErr(srv)
	if err != nil {
		t.Fatalf("dial %s: %v", srv.Addr(), err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func dialErr(srv *fakeserver.Server) (*imapclient.Client, error) {
	opts := &imapclient.Options{TLSConfig: srv.TLSConfig(), Dialer: &net.Dialer{Timeout: 5 * time.Second}}
	var (
		c   *imapclient.Client
		err error
	)
	switch srv.Mode() {
	case fakeserver.ModeImplicitTLS:
		c, err = imapclient.DialTLS(srv.Addr(), opts)
	case fakeserver.ModeStartTLS:
		c, err = imapclient.DialStartTLS(srv.Addr(), opts)
	default:
		c, err = imapclient.DialInsecure(srv.Addr(), opts)
	}
	if err != nil {
		return nil, err
	}
	if err := c.WaitGreeting(); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func login(t *testing.T, srv *fakeserver.Server) *imapclient.Client {
	t.Helper()
	c := dial(t, srv)
	name, pass := srv.User()
	if err := c.Login(name, pass).Wait(); err != nil {
		t.Fatalf("login: %v", err)
	}
	return c
}

// rawConn is a line-oriented raw client, for when exact bytes matter.
type rawConn struct {
	t  *testing.T
	nc net.Conn
	br *bufio.Reader
}

func dialRaw(t *testing.T, addr string, tlsConfig *tls.Config) *rawConn {
	t.Helper()
	r, err := dialRawErr(t, addr, tlsConfig)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// dialRawErr connects, with a TLS handshake if tlsConfig is set; the
// connection closes with the test.
func dialRawErr(t *testing.T, addr string, tlsConfig *tls.Config) (*rawConn, error) {
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	if tlsConfig != nil {
		tc := tls.Client(nc, tlsConfig)
		_ = tc.SetDeadline(time.Now().Add(5 * time.Second))
		if err := tc.Handshake(); err != nil {
			nc.Close()
			return nil, err
		}
		nc = tc
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	return &rawConn{t: t, nc: nc, br: bufio.NewReader(nc)}, nil
}

func (r *rawConn) line() string {
	r.t.Helper()
	l, err := r.br.ReadString('\n')
	if err != nil {
		r.t.Fatalf("read line: %v (got %q)", err, l)
	}
	return l
}

func (r *rawConn) send(s string) {
	r.t.Helper()
	if _, err := io.WriteString(r.nc, s); err != nil {
		r.t.Fatalf("write: %v", err)
	}
}

// exchange sends the client lines of steps, which alternate with the
// server line expected after each, and checks each answer with ok.
func (r *rawConn) exchange(steps []string, ok func(got, want string) bool) {
	r.t.Helper()
	for i := 0; i < len(steps); i += 2 {
		r.send(steps[i])
		if got := r.line(); !ok(got, steps[i+1]) {
			r.t.Fatalf("after %q: got %q, want %q", steps[i], got, steps[i+1])
		}
	}
}

// until reads lines up to and including the one starting with prefix.
func (r *rawConn) until(prefix string) []string {
	r.t.Helper()
	var out []string
	for {
		l := r.line()
		out = append(out, l)
		if strings.HasPrefix(l, prefix) {
			return out
		}
	}
}

// rest reads everything until the server closes.
func (r *rawConn) rest() ([]byte, error) {
	return io.ReadAll(r.br)
}

func newTextLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, nil))
}

// jsonString marshals v, failing the test if it cannot: a leak check on
// an empty string would pass.
func jsonString(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// waitEnded waits until n connections have ended on the server side.
func waitEnded(t *testing.T, srv *fakeserver.Server, n int) []fakeserver.ConnRecord {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		recs := srv.Connections()
		ended := 0
		for _, r := range recs {
			if !r.End.IsZero() {
				ended++
			}
		}
		if ended >= n {
			return recs
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d connections ended: %+v", ended, n, recs)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// withSpecs parses fault specs into a WithFaults option.
func withSpecs(t testing.TB, specs ...string) fakeserver.Option {
	t.Helper()
	set, err := faults.ParseAll(specs)
	if err != nil {
		t.Fatal(err)
	}
	return fakeserver.WithFaults(set...)
}

// plainServer is a plaintext server (exact bytes, no TLS in the way) with
// the given faults.
func plainServer(t *testing.T, specs ...string) *fakeserver.Server {
	t.Helper()
	return fakeserver.New(t, fakeserver.WithMode(fakeserver.ModePlaintext), withSpecs(t, specs...))
}

// loginRaw logs the raw client in as the server's first user.
func (r *rawConn) loginRaw(srv *fakeserver.Server) {
	r.t.Helper()
	name, pass := srv.User()
	r.send("l LOGIN " + name + " " + pass + "\r\n")
	if l := r.until("l "); !strings.HasPrefix(l[len(l)-1], "l OK") {
		r.t.Fatalf("login: %q", l)
	}
}

// firedSpecs lists "hook:spec" of the faults that fired on the last
// connection, once it has ended.
func firedSpecs(t *testing.T, srv *fakeserver.Server) []string {
	t.Helper()
	recs := waitEnded(t, srv, len(srv.Connections()))
	var out []string
	for _, f := range recs[len(recs)-1].Faults {
		out = append(out, f.Hook+":"+f.Spec)
	}
	return out
}

// tlsServer is an implicit-TLS server with the given faults.
func tlsServer(t *testing.T, specs ...string) *fakeserver.Server {
	t.Helper()
	return fakeserver.New(t, withSpecs(t, specs...))
}

// tlsGreeting is the greeting of a port where authentication is allowed
// (implicit TLS, or plaintext with plaintext auth).
const tlsGreeting = "* OK [CAPABILITY IMAP4rev2 IMAP4rev1 SASL-IR LITERAL- ID AUTH=PLAIN AUTH=XOAUTH2 AUTH=OAUTHBEARER] IMAP server ready\r\n"

// greeted connects a raw client to srv's main address and reads the
// greeting, whatever it is.
func greeted(t *testing.T, srv *fakeserver.Server) *rawConn {
	t.Helper()
	r := dialRaw(t, srv.Addr(), nil)
	r.line()
	return r
}

// loggedInRaw connects a raw client to srv's plaintext address, reads the
// greeting and logs in as the first user.
func loggedInRaw(t *testing.T, srv *fakeserver.Server) *rawConn {
	t.Helper()
	r := greeted(t, srv)
	r.loginRaw(srv)
	return r
}

// openInbox connects a raw client, logs in and selects INBOX.
func openInbox(t *testing.T, srv *fakeserver.Server) *rawConn {
	t.Helper()
	r := loggedInRaw(t, srv)
	r.send("s SELECT INBOX\r\n")
	r.until("s OK")
	return r
}

// startTLSRaw sends STARTTLS (with pipelined bytes after it) on a raw
// plaintext client and checks the OK.
func startTLSRaw(t *testing.T, srv *fakeserver.Server, pipelined string) *rawConn {
	t.Helper()
	r := greeted(t, srv)
	r.send("a STARTTLS\r\n" + pipelined)
	if l := r.line(); l != "a OK Begin TLS negotiation now\r\n" {
		t.Fatalf("STARTTLS: %q", l)
	}
	return r
}
