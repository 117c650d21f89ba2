package fakeserver

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// countingConn counts the writes to the client socket: with TLS, one per
// record sent (tls.Conn writes each record to the socket on its own).
type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// countingServer starts a server whose accepted connections count their
// writes in the returned counter.
func countingServer(b *testing.B, opts ...Option) (*Server, *atomic.Int64) {
	b.Helper()
	writes := new(atomic.Int64)
	wrap := func(c *config) {
		c.wrapConn = func(nc net.Conn) net.Conn { return countingConn{nc, writes} }
	}
	srv, err := Start(append(opts, wrap)...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	return srv, writes
}

// benchClient is a raw client that reads whole responses, literals
// included.
type benchClient struct {
	nc net.Conn
	br *bufio.Reader
}

func dialBench(b *testing.B, srv *Server) *benchClient {
	b.Helper()
	nc, err := net.DialTimeout("tcp", srv.Addr(), 5*time.Second)
	if err != nil {
		b.Fatal(err)
	}
	if srv.Mode() == ModeImplicitTLS {
		nc = tls.Client(nc, srv.TLSConfig())
	}
	_ = nc.SetDeadline(time.Now().Add(time.Minute))
	c := &benchClient{nc: nc, br: bufio.NewReaderSize(nc, 64<<10)}
	if _, err := c.line(); err != nil {
		b.Fatalf("greeting: %v", err)
	}
	return c
}

func (c *benchClient) line() (string, error) {
	l, err := c.br.ReadString('\n')
	if err != nil {
		return l, err
	}
	if i := strings.LastIndexByte(l, '{'); i >= 0 && strings.HasSuffix(l, "}\r\n") {
		var n int64
		if _, err := fmt.Sscanf(l[i:], "{%d}", &n); err == nil {
			if _, err := io.CopyN(io.Discard, c.br, n); err != nil {
				return l, err
			}
			rest, err := c.line()
			return l + rest, err
		}
	}
	return l, nil
}

// do sends a command and returns its response lines, up to and including
// the tagged one, which must be OK.
func (c *benchClient) do(b *testing.B, tag, command string) []string {
	if _, err := io.WriteString(c.nc, tag+" "+command+"\r\n"); err != nil {
		b.Fatalf("%s: %v", command, err)
	}
	var lines []string
	for {
		l, err := c.line()
		if err != nil {
			b.Fatalf("%s: %v after %d lines", command, err, len(lines))
		}
		lines = append(lines, l)
		if strings.HasPrefix(l, tag+" ") {
			if !strings.HasPrefix(l, tag+" OK") {
				b.Fatalf("%s: %q", command, l)
			}
			return lines
		}
	}
}

// BenchmarkSessionWrites runs what a probe does (greeting, CAPABILITY,
// LOGIN, LIST, EXAMINE, FETCH of one message, LOGOUT) and reports the
// writes to the client socket per session, TLS handshake included.
func BenchmarkSessionWrites(b *testing.B) {
	for _, mode := range []Mode{ModeImplicitTLS, ModePlaintext} {
		b.Run(mode.String(), func(b *testing.B) {
			srv, writes := countingServer(b, WithMode(mode))
			name, pass := srv.User()
			writes.Store(0)
			for b.Loop() {
				c := dialBench(b, srv)
				c.do(b, "a1", "CAPABILITY")
				c.do(b, "a2", "LOGIN "+name+" "+pass)
				c.do(b, "a3", `LIST "" "*"`)
				c.do(b, "a4", "EXAMINE INBOX")
				c.do(b, "a5", "FETCH 3 (UID ENVELOPE FLAGS RFC822.SIZE BODY.PEEK[]<0.1048576>)")
				c.do(b, "a6", "LOGOUT")
				if _, err := io.ReadAll(c.br); err != nil {
					b.Fatalf("after LOGOUT: %v", err)
				}
				c.nc.Close()
			}
			b.ReportMetric(float64(writes.Load())/float64(b.N), "writes/op")
		})
	}
}

// list10k is how many mailboxes BenchmarkList10k adds and lists.
const list10k = 10000

// BenchmarkList10k lists 10,000 mailboxes over implicit TLS on one
// logged-in connection, and reports the socket writes and the process's
// CPU time (server and client: user plus system) per LIST.
func BenchmarkList10k(b *testing.B) {
	srv, writes := countingServer(b)
	st := srv.users.first().store
	for i := range list10k {
		if err := st.create(fmt.Sprintf("L%05d", i), nil); err != nil {
			b.Fatal(err)
		}
	}
	name, pass := srv.User()
	c := dialBench(b, srv)
	defer c.nc.Close()
	c.do(b, "l", "LOGIN "+name+" "+pass)
	writes.Store(0)
	cpu0 := cpuTime(b)
	for b.Loop() {
		lines := c.do(b, "a", `LIST "" "*"`)
		n := 0
		for _, l := range lines {
			f := strings.Fields(l)
			if len(f) > 0 && strings.HasPrefix(strings.Trim(f[len(f)-1], `"`), "L") {
				n++
			}
		}
		if n != list10k {
			b.Fatalf("LIST returned %d of the %d mailboxes (%d lines)", n, list10k, len(lines))
		}
	}
	b.ReportMetric(float64(writes.Load())/float64(b.N), "writes/op")
	b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(b.N), "cpu-ns/op")
}

// cpuTime is the process's user plus system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
