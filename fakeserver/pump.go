package fakeserver

import (
	"bytes"
	"net"
	"time"

	"github.com/imapprobe/imapprobe/faults"
)

// The backend-to-client direction: responses go out through the faults.
//
// The backend writes its responses a line at a time (respond runs for each
// Write, on the backend's goroutine). They are gathered in conn.pend and writes a whole response at once: at its tagged
// status line, at a continuation request ("+ "), and, when no command
// awaits its response (unsolicited data, IDLE), once the backend has
// nothing more buffered. Pending bytes also go out when they reach
// flushSize, when they have waited flushAfter, before anything the front
// writes itself, and before a fault closes the connection. The fault
// writers (drop:bytes=N, throttle) see the same byte stream, in fewer
// and larger writes, and a command's CutAfter is counted as bytes are
// gathered, so every cut falls at the same byte as before.

const (
	// flushSize bounds the bytes gathered before a write.
	flushSize = 32 << 10
	// flushAfter bounds how long gathered bytes wait for the rest of
	// their response: the in-process backend never pauses inside a
	// response, so this is only a safety net.
	flushAfter = 2 * time.Millisecond
)

// head is the oldest command awaiting its tagged response, or nil.
func (c *conn) head() *pendingCmd {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.pending) == 0 {
		return nil
	}
	return c.pending[0]
}

// complete pops p when its tagged response is about to go out.
func (c *conn) complete(p *pendingCmd) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.pending) > 0 && c.pending[0] == p {
		c.pending = c.pending[1:]
	}
	if c.contTag == p.tag {
		c.contTag = ""
		c.saslMech = ""
	}
}

// responseState is where the backend's output stands between two of its
// Writes: a line may arrive in pieces, and a literal in many.
type responseState struct {
	greeted     bool
	partial     []byte      // the start of a line, without its LF yet
	literalLeft int64       // literal bytes still to come
	litHead     *pendingCmd // the command the literal belongs to
	continuing  bool        // the line goes on after a literal
	untagged    bool        // the response being sent is untagged ("* ")
}

// respond takes one backend Write to the client, line by line (and
// literal by literal), through the capability hook, the command's
// Rewrite and CutAfter, and the fault writers. It runs on the backend's
// goroutine, one Write at a time. An error ends the backend connection.
func (c *conn) respond(be *backendSession, p []byte) error {
	st := &be.resp
	for len(p) > 0 {
		if st.literalLeft > 0 {
			n := min(int64(len(p)), st.literalLeft)
			if !c.queue(st.litHead, p[:n]) {
				return net.ErrClosed
			}
			st.literalLeft -= n
			p = p[n:]
			continue
		}
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			if len(st.partial)+len(p) > maxServerLine {
				return errLineTooLong
			}
			st.partial = append(st.partial, p...)
			return nil
		}
		line := p[:i+1]
		if len(st.partial) > 0 {
			line = append(st.partial, line...)
			st.partial = nil
		}
		p = p[i+1:]
		if !st.greeted {
			st.greeted = true
			be.greeting <- bytes.Clone(line) // p is the backend's buffer
			if len(p) > 0 && !c.awaitAttach(be) {
				return net.ErrClosed
			}
			continue
		}
		if !c.respondLine(be, line, len(p) == 0) {
			return net.ErrClosed
		}
	}
	return nil
}

// awaitAttach waits for the front to attach be after its greeting.
func (c *conn) awaitAttach(be *backendSession) bool {
	select {
	case <-be.attachedCh:
		return true
	case <-c.closed:
		return false
	}
}

// respondLine takes one line of a response; last says the backend has
// nothing more in this Write. false: the connection is done.
func (c *conn) respondLine(be *backendSession, line []byte, last bool) bool {
	st := &be.resp
	head := c.head()
	out := line
	if !st.continuing {
		out = c.rewriteCaps(out)
		st.untagged = bytes.HasPrefix(line, []byte("* "))
	}
	if head != nil && head.rewrite != nil {
		out = head.rewrite(out)
	}
	size, _ := literalSuffix(line)
	if size < 0 && !st.continuing && head != nil && isTagged(line, head.tag) {
		// Pop the command before the client can see its completion: a
		// client that answers at once must find the framing state (e.g.
		// the end of AUTHENTICATE) already updated.
		c.complete(head)
	}
	if !c.queue(head, out) {
		return false
	}
	if size >= 0 {
		st.literalLeft, st.litHead, st.continuing = size, head, true
		return true
	}
	st.continuing = false
	if !st.untagged || (last && !c.awaiting()) {
		return c.flush() == nil
	}
	c.arm()
	return true
}

// awaiting reports whether a command awaits its tagged response, with no
// continuation (AUTHENTICATE, IDLE) in progress.
func (c *conn) awaiting() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending) > 0 && c.contTag == ""
}

// queue gathers response bytes for the client, writing them once they
// reach flushSize. When the command's CutAfter budget runs out, it
// writes what is gathered up to the cut and drops the connection. false:
// the connection is done.
func (c *conn) queue(head *pendingCmd, p []byte) bool {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.werr != nil {
		return false
	}
	if head != nil && head.cutLeft > 0 {
		if int64(len(p)) >= head.cutLeft {
			c.pend = append(c.pend, p[:head.cutLeft]...)
			head.cutLeft = 0
			_ = c.flushLocked()
			mode := head.mode
			if mode == faults.CloseNone {
				mode = faults.CloseFIN
			}
			c.closeFor(ClosedByFault, mode)
			return false
		}
		head.cutLeft -= int64(len(p))
	}
	if len(c.pend) == 0 && len(p) >= flushSize {
		// A literal's chunk: written as it is, not copied.
		_, c.werr = c.out.Write(p)
		return c.werr == nil
	}
	c.pend = append(c.pend, p...)
	return len(c.pend) < flushSize || c.flushLocked() == nil
}

// flush writes the gathered bytes.
func (c *conn) flush() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.flushLocked()
}

// flushLocked writes the gathered bytes in one write through the fault
// writers; c.wmu is held. A failed write fails every later one.
func (c *conn) flushLocked() error {
	if c.pendArmed {
		c.pendTimer.Stop()
		c.pendArmed = false
	}
	if c.werr != nil || len(c.pend) == 0 {
		return c.werr
	}
	_, c.werr = c.out.Write(c.pend)
	if cap(c.pend) > 4*flushSize {
		c.pend = nil // a large literal: do not keep its buffer
	} else {
		c.pend = c.pend[:0]
	}
	return c.werr
}

// arm makes the gathered bytes go out after flushAfter at the latest.
func (c *conn) arm() {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.pendArmed || len(c.pend) == 0 {
		return
	}
	c.pendArmed = true
	if c.pendTimer == nil {
		c.pendTimer = time.AfterFunc(flushAfter, func() { _ = c.flush() })
		return
	}
	c.pendTimer.Reset(flushAfter)
}
