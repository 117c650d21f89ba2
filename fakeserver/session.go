package fakeserver

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/imapprobe/imapprobe/faults"
)

// The front's pipe to the backend: which imapserver it dials, the pipe's
// life, and the commands awaiting their tagged responses on it.

// backendSession is one pipe to an imapserver connection, and the state
// of its responses on their way to the client (pump.go).
type backendSession struct {
	conn     net.Conn // the front's end: writes feed the backend
	pipe     *memPipe
	detached atomic.Bool

	greeting chan []byte // the backend's first line, read by dialBackend

	mu         sync.Mutex
	attached   bool          // attach ran: responses go to the client
	attachedCh chan struct{} // closed by attach
	ended      bool          // the backend closed before attach

	resp responseState // under pipe.respondMu
}

// pendingCmd is a forwarded command awaiting its tagged response; the
// response lines are attributed to the oldest pending command.
type pendingCmd struct {
	tag     string
	rewrite func([]byte) []byte
	cutLeft int64 // bytes of response left before a CutAfter drop; 0 = none
	mode    faults.CloseMode
}

func (c *conn) backendKind() backendKind {
	if c.isTLS.Load() {
		return backendKind{allowAuth: true}
	}
	allow := c.srv.plainMode == ModePlaintext
	if c.srv.cfg.allowPlainAuth != nil {
		allow = *c.srv.cfg.allowPlainAuth
	}
	return backendKind{allowAuth: allow, startTLS: c.srv.plainMode == ModeStartTLS}
}

// dialBackend opens a pipe to the backend for this connection's state and
// reads its greeting; a failure is logged.
func (c *conn) dialBackend(preAuthUser string) (*backendSession, []byte, bool) {
	be, greeting, err := c.tryDialBackend(preAuthUser)
	if err != nil {
		c.srv.logf("conn %d: backend: %v", c.id, err)
		return nil, nil, false
	}
	return be, greeting, true
}

func (c *conn) tryDialBackend(preAuthUser string) (*backendSession, []byte, error) {
	be := &backendSession{greeting: make(chan []byte, 1), attachedCh: make(chan struct{})}
	be.pipe = newMemPipe(preAuthUser, func(p []byte) error { return c.respond(be, p) }, func() { c.backendEnded(be) })
	be.pipe.bound = c.bound
	be.conn = frontEnd{be.pipe}
	if err := c.srv.backend.dial(c.backendKind(), be.pipe); err != nil {
		return nil, nil, err
	}
	t := time.NewTimer(backendTimeout)
	defer t.Stop()
	select {
	case g := <-be.greeting:
		return be, g, nil
	case <-t.C:
	case <-c.closed:
	}
	be.pipe.shut()
	return nil, nil, errors.New("no greeting from the backend")
}

// attach makes be the connection's backend: its responses go to the
// client from now on.
func (c *conn) attach(be *backendSession) {
	c.swapBackend(be)
	be.mu.Lock()
	be.attached = true
	ended := be.ended
	be.mu.Unlock()
	close(be.attachedCh)
	select {
	case <-c.closed:
		be.pipe.close()
		return
	default:
	}
	if ended {
		c.backendEnded(be)
	}
}

// backendEnded runs when the backend closes its end: after LOGOUT or a
// BYE, the session is over for the client too.
func (c *conn) backendEnded(be *backendSession) {
	be.mu.Lock()
	if !be.attached {
		be.ended = true // attach finishes the job
		be.mu.Unlock()
		return
	}
	be.mu.Unlock()
	if be.detached.Load() {
		return
	}
	_ = c.flush()
	c.setClosedBy(ClosedByServer)
	c.closeGraceful()
}

// detach stops the current backend without ending the client connection;
// what it had sent, gathered and not yet written, goes out.
func (c *conn) detach() {
	if be := c.swapBackend(nil); be != nil {
		be.detached.Store(true)
		be.pipe.shut()
		_ = c.flush()
	}
}

// swapBackend makes be the backend, with no command pending, and returns
// the one before.
func (c *conn) swapBackend(be *backendSession) *backendSession {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.be
	c.be = be
	c.pending = nil
	c.contTag = ""
	return old
}

func (c *conn) backend() *backendSession {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.be
}

// forward writes client bytes to the backend.
func (c *conn) forward(p []byte) bool {
	be := c.backend()
	if be == nil {
		return false
	}
	_ = be.conn.SetWriteDeadline(time.Now().Add(c.srv.cfg.timeouts.Idle))
	_, err := be.conn.Write(p)
	return err == nil
}
