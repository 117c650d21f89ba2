package fakeserver

import (
	"io"
	"strings"
	"time"

	"github.com/imapprobe/imapprobe/faults"
)

// pre carries out the Delay and Raw of an action; false if the connection
// closed meanwhile.
func (c *conn) pre(a faults.Action) bool {
	if !c.sleep(a.Delay) {
		return false
	}
	return len(a.Raw) == 0 || c.write(a.Raw)
}

// post carries out Silence, Endless and Close; true if the connection must
// stop here.
func (c *conn) post(a faults.Action) bool {
	switch {
	case a.Silence:
		c.silence()
	case a.Endless:
		c.endless()
	case a.Close != faults.CloseNone:
		c.setClosedBy("fault")
		c.closeWith(a.Close)
	default:
		return false
	}
	return true
}

func (c *conn) sleep(d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-c.closed:
		return false
	}
}

// silence reads and ignores the client until it leaves, the idle timeout
// passes or the server closes.
func (c *conn) silence() {
	c.detach()
	_ = c.currentTransport().SetReadDeadline(time.Now().Add(c.srv.cfg.timeouts.Idle))
	_, _ = io.Copy(io.Discard, c.br)
	c.setClosedBy("client")
}

// EndlessStart begins the line an Endless action writes; filler bytes
// without a line ending follow until the client leaves.
const EndlessStart = "* OK "

// endless writes one never-ending line until the client leaves.
func (c *conn) endless() {
	c.detach()
	chunk := []byte(strings.Repeat("x", 4096))
	if !c.write([]byte(EndlessStart)) {
		return
	}
	for {
		select {
		case <-c.closed:
			return
		default:
		}
		if !c.write(chunk) {
			c.setClosedBy("client")
			return
		}
	}
}
