package fakeserver

import (
	"bufio"
	"net"
	"sync/atomic"
	"time"

	"github.com/imapprobe/imapprobe/faults"
)

// The front's pipe to the backend: which imapserver it dials, the pipe's
// life, and the commands awaiting their tagged responses on it.

// backendSession is one pipe to an imapserver backend and its pump.
type backendSession struct {
	conn     net.Conn
	br       *bufio.Reader
	done     chan struct{}
	detached atomic.Bool
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
	pc, err := c.srv.backend.dial(c.backendKind(), preAuthUser)
	if err != nil {
		return nil, nil, err
	}
	be := &backendSession{conn: pc, br: bufio.NewReader(pc), done: make(chan struct{})}
	_ = pc.SetReadDeadline(time.Now().Add(backendTimeout))
	greeting, err := readLine(be.br, maxServerLine)
	if err != nil {
		pc.Close()
		return nil, nil, err
	}
	_ = pc.SetReadDeadline(time.Time{})
	return be, greeting, nil
}

// attach makes be the connection's backend and starts pumping its output
// to the client.
func (c *conn) attach(be *backendSession) {
	c.swapBackend(be)
	go c.pump(be)
	select {
	case <-c.closed:
		be.conn.Close()
	default:
	}
}

// detach stops the current backend without ending the client connection.
func (c *conn) detach() {
	if be := c.swapBackend(nil); be != nil {
		be.detached.Store(true)
		be.conn.Close()
		<-be.done
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
