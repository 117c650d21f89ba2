package prober

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/imapprobe/imapprobe/internal/wiretap"
)

// clientConn is what imapclient reads from: a synthetic greeting (the real
// one was read by hand and is already in the transcript), any bytes the
// hand-driven reader had buffered, then the tapped connection. imapclient
// sets its own read deadlines; they are ignored, the probe owns deadlines.
type clientConn struct {
	net.Conn
	tap     *wiretap.Conn
	mu      sync.Mutex
	prefix  []byte
	pad     int64 // zeros still owed to an interrupted literal
	readErr error
}

// Read serves the prefix, then the tap. When the connection fails in the
// middle of a literal, the rest of the literal is padded with zeros before
// the error is returned: imapclient races on its own buffer when a literal
// read fails (its reader resumes while the caller still drains the literal),
// and the step reports the recorded error, not the padding.
func (c *clientConn) Read(b []byte) (int, error) {
	c.mu.Lock()
	switch {
	case len(c.prefix) > 0:
		n := copy(b, c.prefix)
		c.prefix = c.prefix[n:]
		c.mu.Unlock()
		return n, nil
	case c.pad > 0:
		n := int(min(int64(len(b)), c.pad))
		clear(b[:n])
		c.pad -= int64(n)
		c.mu.Unlock()
		return n, nil
	case c.readErr != nil:
		c.mu.Unlock()
		return 0, c.readErr
	}
	c.mu.Unlock() // not held across the blocking read: err() must not wait
	n, err := c.tap.Read(b)
	if err == nil {
		return n, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.readErr = err
	if left := c.tap.LiteralLeft(); n == 0 && left > 0 {
		n = int(min(int64(len(b)), left))
		clear(b[:n])
		c.pad = left - int64(n)
		return n, nil
	}
	return n, err
}

func (c *clientConn) err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.readErr
}

func (c *clientConn) SetDeadline(time.Time) error { return nil }

func (c *clientConn) SetReadDeadline(time.Time) error { return nil }

func (c *clientConn) SetWriteDeadline(time.Time) error { return nil }

// withClient hands the connection to imapclient, once: the steps after
// auth call it first and use in.imap.
func (in session) withClient() session {
	if in.imap.client != nil {
		return in
	}
	kind := "OK"
	if in.server.preauth || in.server.authed {
		kind = "PREAUTH" // so that imapclient knows it is logged in
	}
	var caps []string
	for _, c := range in.server.caps.list {
		if isAtom(c) {
			caps = append(caps, c)
		}
	}
	prefix := fmt.Sprintf("* %s [CAPABILITY %s] greeting already read\r\n", kind, strings.Join(caps, " "))
	feed := &clientConn{Conn: in.wire.tap, tap: in.wire.tap, prefix: []byte(prefix)}
	if br := in.wire.br; br != nil {
		buffered, _ := br.Peek(br.Buffered())
		feed.prefix = append(feed.prefix, buffered...)
	}
	// imapclient reads the stream from here on: the hand-driven reader's
	// buffer is handed over, and a wire without it keeps the tap and tags
	in.wire = &wire{tap: in.wire.tap, tagN: in.wire.tagN}
	in.imap = clientState{client: imapclient.New(feed, &imapclient.Options{}), feed: feed}
	_ = in.imap.client.WaitGreeting()
	return in
}

func isAtom(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune(`(){%*"\]`, r) {
			return false
		}
	}
	return true
}
