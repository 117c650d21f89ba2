package fakeserver_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imapprobe/imapprobe/fakeserver"
)

// sweepUser and sweepPass make every sweep server's transcript the same.
const (
	sweepUser = "sweep"
	sweepPass = "sweep-secret"
)

// sweepMaxOffset is the last byte offset TestDropSweep cuts at.
const sweepMaxOffset = 2600

// sweepSession is the fixed session of TestDropSweep: each command is
// sent once the tagged response to the one before is in.
var sweepSession = []struct{ tag, line string }{
	{"a1", "a1 CAPABILITY\r\n"},
	{"a2", "a2 LOGIN " + sweepUser + " " + sweepPass + "\r\n"},
	{"a3", "a3 LIST \"\" \"*\"\r\n"},
	{"a4", "a4 SELECT INBOX\r\n"},
	{"a5", "a5 EXAMINE INBOX\r\n"},
	{"a6", "a6 FETCH 1:* (UID FLAGS RFC822.SIZE ENVELOPE BODY.PEEK[])\r\n"},
	{"a7", "a7 LOGOUT\r\n"},
}

// runSweepSession plays sweepSession over raw TCP and returns every byte
// the server sent, up to its EOF. Once stopAt bytes are in (stopAt > 0),
// it sends nothing more and only reads on to the end: a drop after
// stopAt bytes must come then, and a command sent into a closing socket
// could turn the server's FIN into a reset.
func runSweepSession(addr string, stopAt int) ([]byte, error) {
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(20 * time.Second))
	var got []byte
	buf := make([]byte, 32<<10)
	// read reads until want is in got[from:], or EOF (done).
	read := func(from int, want string) (done bool, err error) {
		for !bytes.Contains(got[from:], []byte(want)) {
			n, err := nc.Read(buf)
			got = append(got, buf[:n]...)
			if errors.Is(err, io.EOF) {
				return true, nil
			}
			if err != nil {
				return false, err
			}
		}
		return false, nil
	}
	if done, err := read(0, "\r\n"); done || err != nil {
		return got, err
	}
	for _, step := range sweepSession {
		if stopAt > 0 && len(got) >= stopAt {
			break
		}
		from := len(got)
		if _, err := io.WriteString(nc, step.line); err != nil {
			return got, fmt.Errorf("write %q: %w", step.tag, err)
		}
		// got[from-2:] starts with the CRLF ending the response before.
		done, err := read(from-2, "\r\n"+step.tag+" ")
		if err != nil || done {
			return got, err
		}
		if _, err := read(bytes.LastIndex(got, []byte("\r\n"+step.tag+" "))+2, "\r\n"); err != nil {
			return got, err // the rest of the tagged line
		}
	}
	rest, err := io.ReadAll(nc)
	return append(got, rest...), err
}

func sweepServer(t *testing.T, specs ...string) *fakeserver.Server {
	t.Helper()
	return fakeserver.New(t, fakeserver.WithMode(fakeserver.ModePlaintext),
		fakeserver.WithUser(sweepUser, sweepPass), withSpecs(t, specs...))
}

// TestDropSweep cuts one fixed session after every byte offset from 1 to
// sweepMaxOffset with drop:bytes=N: the client must read exactly the
// first N bytes of the session without faults, and then a clean EOF,
// whether N falls inside a line, at a line's end, inside a literal or
// at the end of a whole response.
func TestDropSweep(t *testing.T) {
	t.Parallel()
	want, err := runSweepSession(sweepServer(t).Addr(), 0)
	if err != nil {
		t.Fatalf("session without faults: %v: %q", err, want)
	}
	if !bytes.HasSuffix(want, []byte("a7 OK LOGOUT completed\r\n")) || !bytes.Contains(want, []byte("\r\na6 OK")) {
		t.Fatalf("session without faults is incomplete: %q", want)
	}
	if len(want) < sweepMaxOffset {
		t.Fatalf("session without faults is %d bytes, under the %d the sweep cuts at", len(want), sweepMaxOffset)
	}
	t.Logf("session without faults: %d bytes", len(want))
	if again, err := runSweepSession(sweepServer(t).Addr(), 0); err != nil || !bytes.Equal(again, want) {
		t.Fatalf("a second server's session differs (%v): %q, want %q", err, again, want)
	}

	offsets := make(chan int)
	var mu sync.Mutex
	var failures []string
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		failures = append(failures, fmt.Sprintf(format, args...))
	}
	var wg sync.WaitGroup
	for range max(4, 2*runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			for n := range offsets {
				srv, err := fakeserver.Start(fakeserver.WithMode(fakeserver.ModePlaintext),
					fakeserver.WithUser(sweepUser, sweepPass), withSpecs(t, fmt.Sprintf("drop:bytes=%d", n)))
				if err != nil {
					fail("drop:bytes=%d: start: %v", n, err)
					continue
				}
				got, err := runSweepSession(srv.Addr(), n)
				srv.Close()
				switch {
				case err != nil:
					fail("drop:bytes=%d: %v after %d bytes (want a clean EOF after %d)", n, err, len(got), n)
				case !bytes.Equal(got, want[:n]):
					fail("drop:bytes=%d: read %d bytes, want %d; first difference at %d: got %q, want %q",
						n, len(got), n, firstDiff(got, want[:n]), tail(got), tail(want[:n]))
				}
			}
		})
	}
	for n := 1; n <= sweepMaxOffset; n++ {
		offsets <- n
	}
	close(offsets)
	wg.Wait()
	if len(failures) > 0 {
		if len(failures) > 10 {
			failures = append(failures[:10], fmt.Sprintf("... and %d more", len(failures)-10))
		}
		t.Fatalf("%d byte transcript; failures:\n%s", len(want), strings.Join(failures, "\n"))
	}
}

// tail is the end of b, for a failure message.
func tail(b []byte) []byte { return b[max(0, len(b)-60):] }
