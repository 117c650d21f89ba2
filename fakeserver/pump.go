package fakeserver

import (
	"io"

	"github.com/imapprobe/imapprobe/faults"
)

// The backend-to-client direction: responses go out through the faults.

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
	continuing := false // the line goes on after a literal
	for {
		line, err := readLine(be.br, maxServerLine)
		if err != nil {
			if !be.detached.Load() {
				c.setClosedBy(ClosedByServer)
				c.closeGraceful()
			}
			return
		}
		head := c.head()
		out := line
		if !continuing {
			out = c.rewriteCaps(out)
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
		if !c.send(head, out) {
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
	}
}

func (c *conn) copyLiteral(be *backendSession, head *pendingCmd, size int64) bool {
	buf := make([]byte, min(size, 32<<10))
	for size > 0 {
		n, err := io.ReadFull(be.br, buf[:min(size, int64(len(buf)))])
		if n > 0 && !c.send(head, buf[:n]) {
			return false
		}
		if err != nil {
			return false
		}
		size -= int64(n)
	}
	return true
}

// send writes response bytes to the client, dropping the connection when
// the command's CutAfter budget runs out.
func (c *conn) send(head *pendingCmd, p []byte) bool {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if head != nil && head.cutLeft > 0 && int64(len(p)) >= head.cutLeft {
		_, _ = c.out.Write(p[:head.cutLeft])
		head.cutLeft = 0
		mode := head.mode
		if mode == faults.CloseNone {
			mode = faults.CloseFIN
		}
		c.closeFor(ClosedByFault, mode)
		return false
	}
	if head != nil && head.cutLeft > 0 {
		head.cutLeft -= int64(len(p))
	}
	_, err := c.out.Write(p)
	return err == nil
}
