package fakeserver

import (
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// The front's in-memory connection to one imapserver connection.
//
// It replaces a net.Pipe and the goroutine that pumped its output: the
// backend reads the client bytes the front feeds it, and each backend
// Write runs the front's response path (pump.go) on the backend's own
// goroutine. An idle connection thus costs the front no goroutine and no
// buffer here: the input buffer is dropped once the backend has read it.

// pipeInput bounds the client bytes fed and not yet read by the backend
// (a large APPEND literal): the front waits for room.
const pipeInput = 64 << 10

// memPipe is the shared state of the two ends.
type memPipe struct {
	mu       sync.Mutex
	in       []byte // client bytes the backend has not read
	closed   bool   // by either end
	feedDL   time.Time
	readable chan struct{} // cap 1: input or close
	writable chan struct{} // cap 1: room, close or a new feed deadline

	// respondMu makes backend Writes run one at a time; holding it after
	// the pipe is shut means no backend output reaches the client again.
	respondMu sync.Mutex
	respond   func([]byte) error
	// backendClosed runs once when the backend, not the front, closes.
	backendClosed func()

	preAuthUser string // for NewSession: what the front decided
	// bound, if set, is told the store a login on this pipe opened
	// (fresh.go), so that the front's state faults and flag spelling
	// work on the connection's own copy.
	bound func(*mailStore)
}

func newMemPipe(preAuthUser string, respond func([]byte) error, backendClosed func()) *memPipe {
	return &memPipe{
		readable:      make(chan struct{}, 1),
		writable:      make(chan struct{}, 1),
		respond:       respond,
		backendClosed: backendClosed,
		preAuthUser:   preAuthUser,
	}
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// wait blocks until ch is signalled or the deadline passes.
func wait(ch chan struct{}, deadline time.Time) error {
	if deadline.IsZero() {
		<-ch
		return nil
	}
	d := time.Until(deadline)
	if d <= 0 {
		return os.ErrDeadlineExceeded
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ch:
		return nil
	case <-t.C:
		return os.ErrDeadlineExceeded
	}
}

// feed hands client bytes to the backend, waiting for room.
func (m *memPipe) feed(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		m.mu.Lock()
		if m.closed {
			m.mu.Unlock()
			return n, net.ErrClosed
		}
		if room := pipeInput - len(m.in); room > 0 {
			take := min(room, len(p))
			m.in = append(m.in, p[:take]...)
			m.mu.Unlock()
			signal(m.readable)
			p, n = p[take:], n+take
			continue
		}
		dl := m.feedDL
		m.mu.Unlock()
		if err := wait(m.writable, dl); err != nil {
			return n, err
		}
	}
	return n, nil
}

// read is the backend reading client bytes.
func (m *memPipe) read(p []byte) (int, error) {
	for {
		m.mu.Lock()
		if len(m.in) > 0 {
			n := copy(p, m.in)
			m.in = m.in[n:]
			if len(m.in) == 0 {
				m.in = nil // an idle connection keeps no buffer
			}
			m.mu.Unlock()
			signal(m.writable)
			return n, nil
		}
		if m.closed {
			m.mu.Unlock()
			return 0, io.EOF
		}
		m.mu.Unlock()
		<-m.readable
	}
}

// write is the backend writing a response: the front's response path
// runs now, on the caller's goroutine.
func (m *memPipe) write(p []byte) (int, error) {
	m.respondMu.Lock()
	defer m.respondMu.Unlock()
	if m.isClosed() {
		return 0, net.ErrClosed
	}
	if err := m.respond(p); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (m *memPipe) isClosed() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.closed
}

// close ends the pipe for both ends; true if this call did.
func (m *memPipe) close() bool {
	m.mu.Lock()
	was := m.closed
	m.closed = true
	m.in = nil
	m.mu.Unlock()
	signal(m.readable)
	signal(m.writable)
	return !was
}

// shut is the front ending the pipe and waiting out a backend Write in
// progress: after it, no backend output reaches the client. It must not
// be called from the response path itself (use close there).
func (m *memPipe) shut() {
	m.close()
	m.respondMu.Lock()
	//lint:ignore SA2001 the lock only waits out a Write in progress
	m.respondMu.Unlock()
}

// frontEnd is the front's end: Write feeds the backend.
type frontEnd struct{ m *memPipe }

// backendEnd is the end imapserver serves.
type backendEnd struct{ m *memPipe }

var (
	_ net.Conn = frontEnd{}
	_ net.Conn = backendEnd{}
)

func (f frontEnd) Read([]byte) (int, error)    { return 0, io.EOF } // responses go to respond
func (f frontEnd) Write(p []byte) (int, error) { return f.m.feed(p) }
func (f frontEnd) Close() error                { f.m.close(); return nil }
func (f frontEnd) SetWriteDeadline(t time.Time) error {
	f.m.mu.Lock()
	f.m.feedDL = t
	f.m.mu.Unlock()
	signal(f.m.writable)
	return nil
}
func (f frontEnd) SetDeadline(t time.Time) error   { return f.SetWriteDeadline(t) }
func (f frontEnd) SetReadDeadline(time.Time) error { return nil }
func (f frontEnd) LocalAddr() net.Addr             { return pipeAddr{} }
func (f frontEnd) RemoteAddr() net.Addr            { return pipeAddr{} }
func (b backendEnd) Read(p []byte) (int, error)    { return b.m.read(p) }
func (b backendEnd) Write(p []byte) (int, error)   { return b.m.write(p) }
func (b backendEnd) LocalAddr() net.Addr           { return pipeAddr{} }
func (b backendEnd) RemoteAddr() net.Addr          { return pipeAddr{} }

// The backend's deadlines are its idle and command timeouts. The front
// keeps its own on the client socket, and shuts the pipe when one
// passes, so these are not needed, and a timer per idle connection is
// saved.
func (b backendEnd) SetDeadline(time.Time) error      { return nil }
func (b backendEnd) SetReadDeadline(time.Time) error  { return nil }
func (b backendEnd) SetWriteDeadline(time.Time) error { return nil }

// Close is imapserver ending the connection (after LOGOUT, a BYE, or when
// the front's end closed first).
func (b backendEnd) Close() error {
	if b.m.close() && b.m.backendClosed != nil {
		b.m.backendClosed()
	}
	return nil
}
