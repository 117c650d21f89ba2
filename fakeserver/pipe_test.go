package fakeserver

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"sync/atomic"
	"testing"
	"time"
)

// TestMemPipeFeedWaitsForRoom: the front's feed stops at pipeInput bytes
// unread, times out at its deadline, and goes on once the backend reads.
func TestMemPipeFeedWaitsForRoom(t *testing.T) {
	t.Parallel()
	m := newMemPipe("", func([]byte) error { return nil }, nil)
	front, back := frontEnd{m}, backendEnd{m}
	big := bytes.Repeat([]byte("x"), pipeInput+10)
	_ = front.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
	n, err := front.Write(big)
	if n != pipeInput || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("feed past the bound = %d, %v; want %d, deadline exceeded", n, err, pipeInput)
	}
	_ = front.SetWriteDeadline(time.Time{})
	done := make(chan error, 1)
	go func() { _, err := front.Write(big[n:]); done <- err }()
	got, err := io.ReadAll(io.LimitReader(back, int64(len(big))))
	if err != nil || !bytes.Equal(got, big) {
		t.Fatalf("backend read %d bytes, %v; want %d", len(got), err, len(big))
	}
	if err := <-done; err != nil {
		t.Fatalf("feed after the backend read: %v", err)
	}
}

// TestMemPipeClose: the backend closing runs backendClosed once; the front
// closing does not run it; reads then end with EOF and writes fail.
func TestMemPipeClose(t *testing.T) {
	t.Parallel()
	for _, byBackend := range []bool{true, false} {
		var ran atomic.Int32
		m := newMemPipe("", func([]byte) error { return nil }, func() { ran.Add(1) })
		front, back := frontEnd{m}, backendEnd{m}
		if byBackend {
			back.Close()
			back.Close()
		} else {
			front.Close()
			back.Close() // imapserver closes after its read fails
		}
		want := int32(0)
		if byBackend {
			want = 1
		}
		if ran.Load() != want {
			t.Errorf("byBackend=%v: backendClosed ran %d times, want %d", byBackend, ran.Load(), want)
		}
		if _, err := back.Read(make([]byte, 8)); err != io.EOF {
			t.Errorf("byBackend=%v: read after close: %v, want EOF", byBackend, err)
		}
		if _, err := back.Write([]byte("* OK\r\n")); !errors.Is(err, net.ErrClosed) {
			t.Errorf("byBackend=%v: backend write after close: %v", byBackend, err)
		}
		if _, err := front.Write([]byte("a NOOP\r\n")); !errors.Is(err, net.ErrClosed) {
			t.Errorf("byBackend=%v: feed after close: %v", byBackend, err)
		}
	}
}

// TestMemPipeShutWaitsOutAWrite: after shut returns, no backend output
// reaches the front, and a Write in progress finished first.
func TestMemPipeShutWaitsOutAWrite(t *testing.T) {
	t.Parallel()
	entered, release := make(chan struct{}), make(chan struct{})
	var delivered atomic.Int32
	m := newMemPipe("", func([]byte) error {
		close(entered)
		<-release
		delivered.Add(1)
		return nil
	}, nil)
	back := backendEnd{m}
	go func() { _, _ = back.Write([]byte("* 1 EXISTS\r\n")) }()
	<-entered
	shut := make(chan struct{})
	go func() { m.shut(); close(shut) }()
	select {
	case <-shut:
		t.Fatal("shut returned while a backend Write was in progress")
	case <-time.After(20 * time.Millisecond):
	}
	close(release)
	<-shut
	if _, err := back.Write([]byte("* 2 EXISTS\r\n")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("write after shut: %v", err)
	}
	if delivered.Load() != 1 {
		t.Fatalf("delivered %d writes, want 1", delivered.Load())
	}
}
