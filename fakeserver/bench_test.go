package fakeserver_test

import (
	"bufio"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/imapprobe/imapprobe/fakeserver"
)

// BenchmarkConnections measures connections per second: TCP connect,
// greeting, LOGOUT, close, over plaintext and implicit TLS.
func BenchmarkConnections(b *testing.B) {
	for _, mode := range []fakeserver.Mode{fakeserver.ModePlaintext, fakeserver.ModeImplicitTLS} {
		b.Run(mode.String(), func(b *testing.B) {
			srv := fakeserver.New(b, fakeserver.WithMode(mode))
			for b.Loop() {
				c, err := dialErr(srv)
				if err != nil {
					b.Fatal(err)
				}
				if err := c.Logout().Wait(); err != nil {
					b.Fatal(err)
				}
				c.Close()
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "conns/s")
		})
	}
}

// BenchmarkLoginSelectFetch measures what a probe does, per second: a
// plaintext connection, LOGIN, SELECT INBOX, FETCH of one whole message,
// LOGOUT.
func BenchmarkLoginSelectFetch(b *testing.B) {
	srv := fakeserver.New(b, fakeserver.WithMode(fakeserver.ModePlaintext))
	name, pass := srv.User()
	section := &imap.FetchItemBodySection{}
	// The expected byte count: message 2's RFC822.SIZE, asked once here.
	c := loginSelect(b, srv, name, pass)
	sized, err := c.Fetch(imap.SeqSetNum(2), &imap.FetchOptions{RFC822Size: true}).Collect()
	if err != nil || len(sized) != 1 || sized[0].RFC822Size <= 0 {
		b.Fatalf("FETCH 2 RFC822.SIZE: %v, %d messages", err, len(sized))
	}
	size := int(sized[0].RFC822Size)
	_ = c.Logout().Wait()
	c.Close()
	for b.Loop() {
		c := loginSelect(b, srv, name, pass)
		msgs, err := c.Fetch(imap.SeqSetNum(2), &imap.FetchOptions{Envelope: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
		if err != nil {
			b.Fatal(err)
		}
		// An empty FETCH is no error: without this check a missing message
		// would make the figure a LOGIN+SELECT rate.
		if len(msgs) != 1 || msgs[0].Envelope == nil {
			b.Fatalf("FETCH 2 returned %d messages, not one with envelope and body", len(msgs))
		}
		if n := len(msgs[0].FindBodySection(section)); n != size {
			b.Fatalf("FETCH 2 returned a %d-byte body, want its RFC822.SIZE %d", n, size)
		}
		if err := c.Logout().Wait(); err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sessions/s")
}

// loginSelect dials srv, logs in and selects INBOX, or stops the benchmark.
func loginSelect(b *testing.B, srv *fakeserver.Server, name, pass string) *imapclient.Client {
	b.Helper()
	c, err := dialErr(srv)
	if err != nil {
		b.Fatal(err)
	}
	if err := c.Login(name, pass).Wait(); err != nil {
		b.Fatal(err)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkIdleConnectionMemory reports the server-side heap and stack
// per idle connection (greeted and logged in), client side excluded as
// far as possible: the clients are raw sockets with a small buffer.
func BenchmarkIdleConnectionMemory(b *testing.B) {
	const n = 500
	for b.Loop() {
		srv := fakeserver.New(b, fakeserver.WithMode(fakeserver.ModePlaintext))
		name, pass := srv.User()
		before := heapAndStacks()
		conns := make([]net.Conn, 0, n)
		for range n {
			nc, err := net.Dial("tcp", srv.Addr())
			if err != nil {
				b.Fatal(err)
			}
			_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
			br := bufio.NewReaderSize(nc, 16)
			if l, err := br.ReadString('\n'); err != nil || !strings.HasPrefix(l, "* OK ") {
				b.Fatalf("greeting: %q %v", l, err)
			}
			if _, err := io.WriteString(nc, "a LOGIN "+name+" "+pass+"\r\n"); err != nil {
				b.Fatal(err)
			}
			// Only a logged-in connection holds a backend session.
			if l, err := br.ReadString('\n'); err != nil || !strings.HasPrefix(l, "a OK ") {
				b.Fatalf("LOGIN: %q %v", l, err)
			}
			conns = append(conns, nc)
		}
		after := heapAndStacks()
		if after < before {
			b.Fatalf("heap and stacks shrank by %d bytes with %d connections open: nothing to measure", before-after, n)
		}
		b.ReportMetric(float64(after-before)/n, "bytes/conn")
		for _, nc := range conns {
			nc.Close()
		}
		srv.Close()
	}
}

func heapAndStacks() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc + m.StackInuse
}
