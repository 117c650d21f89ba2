package fakeserver

import (
	"github.com/imapprobe/imapprobe/faults"
)

// idleDrop closes the connection as d says if, d.After after it began,
// the IDLE command of tag is still running: a NAT or firewall that forgot
// the quiet flow. A client that sent DONE in time is not cut.
func (c *conn) idleDrop(tag string, d faults.ChangeIdleDrop) {
	if !c.sleep(d.After) {
		return
	}
	c.mu.Lock()
	idling := c.contTag == tag
	c.mu.Unlock()
	if !idling {
		return
	}
	c.tap.Note("IDLE %s cut after %s", tag, d.After)
	_ = c.flush()
	c.closeFor(ClosedByFault, d.Close)
}
