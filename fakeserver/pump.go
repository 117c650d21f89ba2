package fakeserver

import (
	"bytes"
	"io"
	"time"

	"github.com/imapprobe/imapprobe/faults"
)

// The backend-to-client direction: responses go out through the faults.
//
// The backend writes its responses a line at a time. The pump gathers
// them in conn.pend and writes a whole response at once: at its tagged
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

// pump copies the backend's responses to the client, line by line (and
// literal by literal), through the capability hook, the command's Rewrite
// and CutAfter, and the fault writers.
func (c *conn) pump(be *backendSession) {
	defer close(be.done)
	defer c.flush()     // what was gathered before a detach
	continuing := false // the line goes on after a literal
	untagged := false   // the response being read is untagged ("* ")
	for {
		line, err := readLine(be.br, maxServerLine)
		if err != nil {
			if !be.detached.Load() {
				_ = c.flush()
				c.setClosedBy(ClosedByServer)
				c.closeGraceful()
			}
			return
		}
		head := c.head()
		out := line
		if !continuing {
			out = c.rewriteCaps(out)
			untagged = bytes.HasPrefix(line, []byte("* "))
		}
		if head != nil && head.rewrite != nil {
			out = head.rewrite(out)
		}
		size, _ := literalSuffix(line)
		if size < 0 && !continuing && head != nil && isTagged(line, head.tag) {
			// Pop the command before the client can see its completion:
			// a client that answers at once must find the framing state
			// (e.g. the end of AUTHENTICATE) already updated.
			c.complete(head)
		}
		if !c.queue(head, out) {
			return
		}
		if size >= 0 {
			if !c.copyLiteral(be, head, size) {
				return
			}
			continuing = true
			continue
		}
		continuing = false
		if !untagged || (be.br.Buffered() == 0 && !c.awaiting()) {
			if c.flush() != nil {
				return
			}
		} else {
			c.arm()
		}
	}
}

// awaiting reports whether a command awaits its tagged response, with no
// continuation (AUTHENTICATE, IDLE) in progress.
func (c *conn) awaiting() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending) > 0 && c.contTag == ""
}

func (c *conn) copyLiteral(be *backendSession, head *pendingCmd, size int64) bool {
	buf := make([]byte, min(size, 32<<10))
	for size > 0 {
		n, err := io.ReadFull(be.br, buf[:min(size, int64(len(buf)))])
		if n > 0 && !c.queue(head, buf[:n]) {
			return false
		}
		if err != nil {
			return false
		}
		size -= int64(n)
	}
	return true
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
