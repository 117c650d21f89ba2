package fakeserver

import (
	"crypto/tls"
	"io"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/imapprobe/imapprobe/faults"
	"github.com/imapprobe/imapprobe/internal/redact"
	"github.com/imapprobe/imapprobe/internal/wiretap"
)

const (
	maxClientLine  = 64 << 10 // imapserver itself caps commands at 50 KiB
	maxServerLine  = 1 << 20
	maxLiteral     = 64 << 20
	backendTimeout = 10 * time.Second // the backend is in-process; it is never slow
)

// conn is the front of one client connection. Its concerns have a file
// each: framing the client's commands (client.go over framer.go), the
// backend's responses (pump.go), fault dispatch (dispatch.go), TLS and
// STARTTLS (starttls.go), the backend pipe (session.go over pipe.go), the persona
// (persona.go) and how the connection ends (closing.go).
type conn struct {
	srv      *Server
	id       uint64
	raw      net.Conn
	implicit bool
	rec      *connRecord
	persona  *personaConn
	tap      *wiretap.Recorder
	// red masks the transcript, the records and the logs: the seeded
	// secrets, and each one the client's lines carry (learnt, so that a
	// proxied server's echo of the password is masked too).
	red   *redact.Session
	isTLS atomic.Bool

	// The serve goroutine's alone.
	br *clientReader // client reader
	fr *framer       // frames commands from br

	// wmu serialises writes to the client: the front's own, and the
	// responses respond hands on from the backend's goroutine.
	// Lock order: wmu, then mu.
	wmu sync.Mutex
	out io.Writer // fault writers over the current transport
	// Response bytes taken from the backend and not yet written: a
	// response goes out whole, in one write (pump.go). Under wmu.
	pend      []byte
	pendTimer *time.Timer // writes pend that waited flushAfter
	pendArmed bool
	werr      error // the first failed write to the client

	mu        sync.Mutex
	transport net.Conn // raw or tlsConn, tapped once IMAP flows in clear
	tlsConn   *tls.Conn
	user      string
	be        *backendSession
	pending   []*pendingCmd
	contTag   string          // AUTHENTICATE or IDLE in progress: its lines are not commands
	saslMech  string          // mechanism whose first client response names the user
	store     *mailStore      // the mail the login opened (fresh.go)
	deferred  []faults.Change // state changes awaiting a PerConnection login's copy
	closedBy  CloseReason
	acted     []faults.Fault // the faults that fired, for the unfired log

	closed     chan struct{}
	closeOnce  sync.Once
	recordOnce sync.Once // the session recording is written once (recording.go)
}

func (s *Server) newConn(nc net.Conn, implicit bool) *conn {
	port := "tls"
	if !implicit {
		port = s.plainMode.String()
	}
	now := time.Now()
	lim := transcriptLimits
	if s.cfg.recordDir != "" {
		lim = recordLimits
	}
	red := s.redact.FreshLearning()
	c := &conn{
		srv:      s,
		id:       s.nextID.Add(1),
		raw:      nc,
		implicit: implicit,
		red:      red,
		tap:      wiretap.New(now, lim, red),
		closed:   make(chan struct{}),
		persona:  &personaConn{spec: s.personaSpec()},
	}
	c.rec = &connRecord{r: ConnRecord{ID: c.id, Remote: nc.RemoteAddr().String(), Port: port, Start: now, Commands: []CommandRecord{}}, tap: c.tap}
	if implicit {
		c.setTransport(nc)
	} else {
		c.setTransport(c.tap.Tap(nc, redact.Server))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.conns[c] = struct{}{}
	s.records = append(s.records, c.rec)
	if over := len(s.records) - s.cfg.maxRecords; over > 0 {
		s.records = slices.Delete(s.records, 0, over)
	}
	return c
}

func (c *conn) serve() {
	defer c.finish()
	c.out = c.wrapWriter()

	a := c.faults().OnAccept(c.info())
	if !c.pre(a) || c.post(a) {
		return
	}
	if c.implicit && !c.handshake() {
		return
	}
	if !c.greet() {
		return
	}
	c.readCommands()
}

func (c *conn) info() faults.ConnInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	return faults.ConnInfo{ID: c.id, User: c.user, TLS: c.isTLS.Load()}
}

// setUser records the user the client named. A name that contains a
// seeded password or token, or one the connection has carried, is never
// recorded: the client put its secret where the user goes.
func (c *conn) setUser(u string) {
	if u == "" || c.srv.users.holdsSecret(u) || c.red.Scrub(u) != u {
		return
	}
	c.mu.Lock()
	c.user = u
	c.mu.Unlock()
	c.rec.update(func(r *ConnRecord) { r.User = u })
}

// write sends bytes the front itself produces, after the response bytes
// still pending, in one write.
func (c *conn) write(p []byte) bool {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.pend = append(c.pend, p...)
	return c.flushLocked() == nil
}

// greet opens the backend and sends the greeting, as the greeting hook
// says. Order: Delay, Raw (instead of the greeting), Greeting, PreAuth,
// Silence, Endless, Close.
func (c *conn) greet() bool {
	a := c.faults().OnGreeting(c.info())
	if !c.sleep(a.Delay) {
		return false
	}
	preAuth := ""
	if a.PreAuth {
		preAuth = c.srv.users.first().name
		c.setUser(preAuth)
	}
	be, greeting, ok := c.dialBackend(preAuth)
	if !ok {
		c.setClosedBy(ClosedByShutdown)
		return false
	}
	var line []byte
	switch {
	case len(a.Raw) > 0:
		line = a.Raw
	case a.Greeting != "":
		line = []byte(a.Greeting + "\r\n")
	case a.Silence || a.Endless:
	default:
		line = c.rewriteCaps(c.persona.greeting(greeting, preAuth))
	}
	// The greeting goes out before the backend's next words: a backend
	// that ends at once (an unreachable upstream's BYE) ends after it.
	if len(line) > 0 && !c.write(line) {
		be.pipe.shut()
		return false
	}
	c.attach(be)
	return !c.post(a)
}
