package fakeserver

import (
	"crypto/tls"
	"net"
	"time"

	"github.com/imapprobe/imapprobe/faults"
	"github.com/imapprobe/imapprobe/internal/redact"
)

// The client transport: plain TCP, implicit TLS, and the switch STARTTLS
// makes between them.

// transportWriter writes to whatever the client transport is now, so fault
// writers installed at accept keep working across STARTTLS.
type transportWriter struct{ c *conn }

func (w transportWriter) Write(p []byte) (int, error) {
	t := w.c.currentTransport()
	_ = t.SetWriteDeadline(time.Now().Add(w.c.srv.cfg.timeouts.Write))
	return t.Write(p)
}

// setTransport makes t the client transport and reads from it from now on.
// Bytes the old reader had buffered are dropped: after STARTTLS they are
// plaintext the client pipelined, which RFC 3501 6.2.1 says to discard.
func (c *conn) setTransport(t net.Conn) {
	c.mu.Lock()
	c.transport = t
	c.mu.Unlock()
	c.br = newClientReader(t)
	c.fr = newFramer(c.br)
	c.fr.before = func() { _ = t.SetReadDeadline(time.Now().Add(c.srv.cfg.timeouts.Idle)) }
}

func (c *conn) currentTransport() net.Conn {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.transport
}

// handshake runs a server TLS handshake on the raw connection (implicit
// TLS, or after STARTTLS), under the handshake and TLS hooks.
func (c *conn) handshake() bool {
	a := c.faults().BeforeHandshake(c.info())
	if !c.pre(a) || c.post(a) {
		return false
	}
	cfg, err := c.faults().TLSConfig(c.srv.goodTLS, c.srv.ca)
	if err != nil {
		c.srv.logf("conn %d: %v", c.id, err)
		c.closeFor(ClosedByFault, faults.CloseFIN)
		return false
	}
	tc := tls.Server(c.raw, cfg)
	_ = c.raw.SetDeadline(time.Now().Add(c.srv.cfg.timeouts.Handshake))
	if err := handshakeAside(tc); err != nil {
		c.setClosedBy(ClosedByClient)
		return false
	}
	_ = c.raw.SetDeadline(time.Time{})
	st := tc.ConnectionState()
	c.tap.Note("TLS %s %s", tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite))
	c.mu.Lock()
	c.tlsConn = tc
	c.mu.Unlock()
	c.setTransport(c.tap.Tap(tc, redact.Server))
	c.isTLS.Store(true)
	c.rec.update(func(r *ConnRecord) { r.TLS = true })
	return true
}

// handshakeAside runs the handshake on a goroutine of its own that ends
// with it: the handshake's deep stack would otherwise stay with the
// connection's goroutine, idle or not (about 4 KiB a connection).
func handshakeAside(tc *tls.Conn) error {
	done := make(chan error, 1)
	go func() { done <- tc.Handshake() }()
	return <-done
}

// startTLS answers STARTTLS itself: the backend behind a plaintext port
// cannot do TLS over its pipe.
func (c *conn) startTLS(tag string, mode faults.StartTLSMode) bool {
	reply := c.persona.startTLSOK(tag)
	switch mode {
	case faults.StartTLSStall:
		c.detach()
		if c.write(reply) {
			c.silence()
		}
		return false
	case faults.StartTLSPlaintext:
		// Stay on the plaintext backend. A client that starts its handshake
		// gets a plaintext IMAP answer, as from a server that never switched.
		if !c.write(reply) {
			return false
		}
		_ = c.currentTransport().SetReadDeadline(time.Now().Add(c.srv.cfg.timeouts.Handshake))
		if b, err := c.br.Peek(1); err == nil && b[0] == 0x16 {
			_, _ = c.br.Discard(c.br.Buffered())
			return c.write([]byte("* BAD Command syntax error\r\n"))
		}
		return true
	}
	c.detach()
	if !c.write(reply) {
		return false
	}
	// Bytes the client pipelined after STARTTLS are discarded with the old
	// reader (RFC 3501 6.2.1: no plaintext injection).
	if !c.handshake() {
		return false
	}
	be, _, ok := c.dialBackend("")
	if !ok {
		return false
	}
	c.attach(be)
	return true
}
