package fakeserver

import (
	"io"
	"net"
	"testing"
)

// watchedConn reports, at each Read, the buffer it was given and whether
// the clientReader over it held a buffer at that moment.
type watchedConn struct {
	net.Conn
	r     *clientReader
	reads chan readSeen
}

type readSeen struct {
	size        int
	holdsBuffer bool
}

func (w *watchedConn) Read(p []byte) (int, error) {
	w.reads <- readSeen{size: len(p), holdsBuffer: w.r.br != nil}
	return w.Conn.Read(p)
}

// TestClientReaderIdleHoldsNoBuffer: a reader waiting for its client holds
// no buffer, and reads into its 64-byte wake array; lines split across the
// wake read and the rest arrive whole.
func TestClientReaderIdleHoldsNoBuffer(t *testing.T) {
	t.Parallel()
	client, server := net.Pipe()
	defer client.Close()
	w := &watchedConn{Conn: server, reads: make(chan readSeen, 16)}
	w.r = newClientReader(w)
	long := "a LOGIN alice " + "0123456789012345678901234567890123456789012345678901234567890123456789\r\n"
	go func() {
		_, _ = client.Write([]byte(long))
		_, _ = client.Write([]byte("b LOGOUT\r\n"))
		client.Close()
	}()
	for _, want := range []string{long, "b LOGOUT\r\n"} {
		line, err := readLine(w.r, maxClientLine)
		if err != nil || string(line) != want {
			t.Fatalf("readLine = %q, %v; want %q", line, err, want)
		}
	}
	if _, err := readLine(w.r, maxClientLine); err != io.EOF {
		t.Fatalf("after close: %v, want EOF", err)
	}
	close(w.reads)
	var seen []readSeen
	for s := range w.reads {
		seen = append(seen, s)
	}
	// The long line: wake read, then the rest into the 4 KiB buffer; then
	// the next line's wake read, and EOF's.
	want := []readSeen{{64, false}, {clientReadSize - 64, true}, {64, false}, {64, false}}
	if len(seen) != len(want) {
		t.Fatalf("reads %v, want %v", seen, want)
	}
	for i := range want {
		if seen[i] != want[i] {
			t.Fatalf("reads %v, want %v", seen, want)
		}
	}
}
