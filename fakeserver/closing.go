package fakeserver

import (
	"net"
	"time"

	"github.com/imapprobe/imapprobe/faults"
)

// CloseReason says who ended a connection, in ConnRecord.Closed.
type CloseReason string

const (
	// ClosedByClient: the client left, or stopped answering until the
	// idle timeout.
	ClosedByClient CloseReason = "client"
	// ClosedByServer: the backend ended the session (after LOGOUT, or a
	// BYE).
	ClosedByServer CloseReason = "server"
	// ClosedByFault: a fault closed or reset the connection.
	ClosedByFault CloseReason = "fault"
	// ClosedByShutdown: the server was closed.
	ClosedByShutdown CloseReason = "shutdown"
)

// setClosedBy records why the connection ends; the first reason stays.
func (c *conn) setClosedBy(why CloseReason) {
	c.mu.Lock()
	if c.closedBy == "" {
		c.closedBy = why
	}
	c.mu.Unlock()
}

// closeFor records why and closes the connection as mode says.
func (c *conn) closeFor(why CloseReason, mode faults.CloseMode) {
	c.setClosedBy(why)
	c.closeWith(mode)
}

// closeWith ends the client connection without a TLS close_notify, as a
// crash or a middlebox would: a FIN, or with CloseRST a reset. The record
// is completed first, so a client that sees the close finds it complete.
func (c *conn) closeWith(mode faults.CloseMode) {
	c.closeOnce.Do(func() {
		c.endRecord(mode)
		if tcp, ok := c.raw.(*net.TCPConn); ok && mode == faults.CloseRST {
			_ = tcp.SetLinger(0)
		}
		c.raw.Close()
		close(c.closed)
		if be := c.backend(); be != nil {
			be.conn.Close()
		}
	})
}

// closeGraceful ends the connection as a well-behaved server does after
// LOGOUT: TLS close_notify, then FIN.
func (c *conn) closeGraceful() {
	c.endRecord(faults.CloseFIN) // the close_notify is a close the client sees
	c.mu.Lock()
	tc := c.tlsConn
	c.mu.Unlock()
	if tc != nil {
		c.wmu.Lock()
		_ = tc.SetWriteDeadline(time.Now().Add(time.Second))
		_ = tc.CloseWrite()
		c.wmu.Unlock()
	}
	c.closeWith(faults.CloseFIN)
}

// finish ends the connection when serve returns: a reason not yet set is
// the client's; the record, completed at the close, is logged.
func (c *conn) finish() {
	c.closeFor(ClosedByClient, faults.CloseFIN)
	c.detach()
	c.srv.mu.Lock()
	delete(c.srv.conns, c)
	c.srv.mu.Unlock()
	c.srv.logConn(c.rec.snapshot(), c.unfired())
}

// endRecord sets the record's end and who closed, once: the reason set so
// far, else the client; the client's becomes ClosedByShutdown while the
// server is closing. mode is how the connection closes, for the session
// recording, written first.
func (c *conn) endRecord(mode faults.CloseMode) {
	c.srv.mu.Lock()
	shutdown := c.srv.closed
	c.srv.mu.Unlock()
	c.mu.Lock()
	by := c.closedBy
	c.mu.Unlock()
	if by == "" {
		by = ClosedByClient
	}
	if shutdown && by == ClosedByClient {
		by = ClosedByShutdown
	}
	c.saveRecording(by, mode)
	c.rec.update(func(r *ConnRecord) {
		if r.End.IsZero() {
			r.End = time.Now()
			r.Closed = by
		}
	})
}
