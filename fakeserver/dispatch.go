package fakeserver

import (
	"bytes"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/imapprobe/imapprobe/faults"
)

// Fault dispatch: the front asks the active faults at each hook and
// carries out the Action they return; what fired goes to the record.

// faults is the active fault set, reporting each fault that acts to the
// connection's record.
func (c *conn) faults() faults.Observed {
	st := c.srv.faults.Load()
	return faults.Observed{Set: st.set, Fired: func(hook string, f faults.Fault) {
		st.count(f)
		c.fired(hook, f)
	}}
}

// wrapWriter puts the writer faults between the front and the client.
func (c *conn) wrapWriter() io.Writer {
	closer := func(m faults.CloseMode) { c.closeFor(ClosedByFault, m) }
	return c.faults().WrapWriter(c.info(), transportWriter{c}, closer)
}

// rewriteCaps passes a backend line's capability list through the
// persona, then the capability hook, and notes what the client is told;
// and respells its flags (flags.go).
func (c *conn) rewriteCaps(line []byte) []byte {
	proxied := c.srv.backend.upstream != nil
	if !proxied {
		line = c.rewriteFlags(line) // an upstream spells its own flags
	}
	if !bytes.Contains(line, []byte("CAPABILITY ")) {
		return line
	}
	return rewriteCaps(line, func(caps []string) []string {
		orig := c.persona.caps(caps)
		shown := orig
		if proxied {
			shown = proxyCaps(c.backendKind(), orig)
		}
		edited := c.faults().Capabilities(c.info(), shown)
		c.rec.caps.saw(shown, edited) // a proxy's own edits are not faults
		return edited
	})
}

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
		_ = c.flush() // what the client was sent before the fault acts
		c.closeFor(ClosedByFault, a.Close)
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
	c.setClosedBy(ClosedByClient)
}

// endlessStart begins the line an Endless action writes; filler bytes
// without a line ending follow until the client leaves.
const endlessStart = "* OK "

// endless writes one never-ending line until the client leaves.
func (c *conn) endless() {
	c.detach()
	chunk := []byte(strings.Repeat("x", 4096))
	if !c.write([]byte(endlessStart)) {
		return
	}
	for {
		select {
		case <-c.closed:
			return
		default:
		}
		if !c.write(chunk) {
			c.setClosedBy(ClosedByClient)
			return
		}
	}
}

// fired records that f acted at hook, in the record and the transcript.
func (c *conn) fired(hook string, f faults.Fault) {
	c.mu.Lock()
	if !slices.ContainsFunc(c.acted, func(g faults.Fault) bool { return sameFault(f, g) }) {
		c.acted = append(c.acted, f)
	}
	c.mu.Unlock()
	c.rec.fired(hook, f)
	c.tap.Note("fault %s at %s", f.Spec(), hook)
}

// unfired lists the specs of the faults active now that did not fire on
// the connection, so a fault that never matches is visible in the log.
func (c *conn) unfired() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, f := range c.srv.faults.Load().set {
		if !slices.ContainsFunc(c.acted, func(g faults.Fault) bool { return sameFault(f, g) }) {
			out = append(out, f.Spec())
		}
	}
	return out
}
