package fakeserver_test

import (
	"bufio"
	"crypto/tls"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/imapprobe/imapprobe/fakeserver"
)

// Captures of real servers' bytes, in the format of integration's
// captureSessions, and the raw client that replays them to a persona.

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

func readWireCapture(t *testing.T) []wireSection { return readCapture(t, dovecotWire) }

// readCapture reads a capture in the format of integration's
// captureSessions.
func readCapture(t *testing.T, path string) []wireSection {
	t.Helper()
	data, err := os.ReadFile(path)
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
			t.Fatalf("%s: line outside a section: %q", path, line)
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
			t.Fatalf("%s: unknown line %q", path, line)
		}
	}
	return out
}

// replaySection sends sec's client lines (through subst) to srv and
// hands check each server line read with the line the capture has there.
func replaySection(t *testing.T, srv *fakeserver.Server, sec wireSection, implicitTLS bool, source string,
	subst func(string) string, check func(got, want string)) {
	t.Helper()
	w := dialWire(t, srv, implicitTLS, source)
	for _, want := range sec.greeting {
		check(w.line(), want)
	}
	for _, st := range sec.steps {
		w.send(subst(st.client))
		for _, want := range st.server {
			check(w.line(), want)
		}
		if st.startTLS {
			w.startTLS(srv.TLSConfig())
		}
	}
}

// wireConn is a rawConn that can dial from a given loopback address and
// upgrade with STARTTLS, and whose lines come without their CRLF.
type wireConn struct {
	*rawConn
	raw net.Conn // the TCP connection, for STARTTLS
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
	w := &wireConn{rawConn: &rawConn{t: t, nc: raw, br: bufio.NewReader(raw)}, raw: raw}
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
	w.nc, w.br = tc, bufio.NewReader(tc)
}

// send writes line with its CRLF.
func (w *wireConn) send(line string) {
	w.t.Helper()
	w.rawConn.send(line + "\r\n")
}

// command sends line and returns the server lines up to its tagged
// reply.
func (w *wireConn) command(line string) []string {
	w.t.Helper()
	w.send(line)
	tag, _, _ := strings.Cut(line, " ")
	got := w.until(tag + " ")
	for i, l := range got {
		got[i] = w.crlf(l)
	}
	return got
}

// line reads one server line without its CRLF.
func (w *wireConn) line() string {
	w.t.Helper()
	return w.crlf(w.rawConn.line())
}

// crlf is l without the CRLF it must end in.
func (w *wireConn) crlf(l string) string {
	w.t.Helper()
	if !strings.HasSuffix(l, "\r\n") {
		w.t.Fatalf("line without CRLF: %q", l)
	}
	return strings.TrimSuffix(l, "\r\n")
}
