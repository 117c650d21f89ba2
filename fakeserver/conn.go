package fakeserver

import (
	"bufio"
	"bytes"
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

// conn is the front of one client connection.
type conn struct {
	srv      *Server
	id       uint64
	raw      net.Conn
	implicit bool
	rec      *connRecord
	persona  *personaConn

	tmu       sync.Mutex
	transport net.Conn // raw or tlsConn, tapped once IMAP flows in clear
	tlsConn   *tls.Conn
	tap       *wiretap.Recorder
	isTLS     atomic.Bool
	br        *bufio.Reader // client reader; used by the serve goroutine only
	fr        *framer       // frames commands from br

	wmu sync.Mutex
	out io.Writer // fault writers over the current transport

	mu       sync.Mutex
	user     string
	be       *backendSession
	pending  []*pendingCmd
	contTag  string // AUTHENTICATE or IDLE in progress: its lines are not commands
	saslMech string // mechanism whose first client response names the user
	closedBy string
	acted    []faults.Fault // the faults that fired, for the unfired log

	closed    chan struct{}
	closeOnce sync.Once
}

// backendSession is one pipe to an imapserver backend and its pump.
type backendSession struct {
	conn     net.Conn
	br       *bufio.Reader
	done     chan struct{}
	detached atomic.Bool
}

// pendingCmd is a forwarded command awaiting its tagged response; the
// response lines are attributed to the oldest pending command.
type pendingCmd struct {
	tag     string
	rewrite func([]byte) []byte
	cutLeft int64 // bytes of response left before a CutAfter drop; 0 = none
	mode    faults.CloseMode
}

func (s *Server) newConn(nc net.Conn, implicit bool) *conn {
	port := "tls"
	if !implicit {
		port = s.plainMode.String()
	}
	now := time.Now()
	c := &conn{
		srv:      s,
		id:       s.nextID.Add(1),
		raw:      nc,
		implicit: implicit,
		tap:      wiretap.New(now, transcriptLimits, redact.NewSession(s.secrets...)),
		closed:   make(chan struct{}),
		persona:  &personaConn{spec: s.cfg.persona.spec()},
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

func (c *conn) info() faults.ConnInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	return faults.ConnInfo{ID: c.id, User: c.user, TLS: c.isTLS.Load()}
}

// setUser records the user the client named. A name that contains a
// seeded password or token is never recorded: the client put its secret
// where the user goes.
func (c *conn) setUser(u string) {
	if u == "" || c.srv.users.holdsSecret(u) {
		return
	}
	c.mu.Lock()
	c.user = u
	c.mu.Unlock()
	c.rec.update(func(r *ConnRecord) { r.User = u })
}

func (c *conn) setClosedBy(who string) {
	c.mu.Lock()
	if c.closedBy == "" {
		c.closedBy = who
	}
	c.mu.Unlock()
}

// faults is the active fault set, reporting each fault that acts to the
// connection's record.
func (c *conn) faults() faults.Observed {
	st := c.srv.faults.Load()
	return faults.Observed{Set: st.set, Fired: func(hook string, f faults.Fault) {
		st.count(f)
		c.fired(hook, f)
	}}
}

// transportWriter writes to whatever the client transport is now, so fault
// writers installed at accept keep working across STARTTLS.
type transportWriter struct{ c *conn }

func (w transportWriter) Write(p []byte) (int, error) {
	w.c.tmu.Lock()
	t := w.c.transport
	w.c.tmu.Unlock()
	_ = t.SetWriteDeadline(time.Now().Add(w.c.srv.cfg.timeouts.Write))
	return t.Write(p)
}

// setTransport makes t the client transport and reads from it from now on.
// Bytes the old reader had buffered are dropped: after STARTTLS they are
// plaintext the client pipelined, which RFC 3501 6.2.1 says to discard.
func (c *conn) setTransport(t net.Conn) {
	c.tmu.Lock()
	c.transport = t
	c.tmu.Unlock()
	c.br = bufio.NewReader(t)
	c.fr = newFramer(c.br)
	c.fr.before = func() { _ = t.SetReadDeadline(time.Now().Add(c.srv.cfg.timeouts.Idle)) }
}

func (c *conn) currentTransport() net.Conn {
	c.tmu.Lock()
	defer c.tmu.Unlock()
	return c.transport
}

// write sends bytes the front itself produces.
func (c *conn) write(p []byte) bool {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, err := c.out.Write(p)
	return err == nil
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

func (c *conn) wrapWriter() io.Writer {
	closer := func(m faults.CloseMode) {
		c.setClosedBy("fault")
		c.closeWith(m)
	}
	return c.faults().WrapWriter(c.info(), transportWriter{c}, closer)
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
		c.setClosedBy("fault")
		c.closeWith(faults.CloseFIN)
		return false
	}
	tc := tls.Server(c.raw, cfg)
	_ = c.raw.SetDeadline(time.Now().Add(c.srv.cfg.timeouts.Handshake))
	if err := tc.Handshake(); err != nil {
		c.setClosedBy("client")
		return false
	}
	_ = c.raw.SetDeadline(time.Time{})
	st := tc.ConnectionState()
	c.tap.Note("TLS %s %s", tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite))
	c.tmu.Lock()
	c.tlsConn = tc
	c.tmu.Unlock()
	c.setTransport(c.tap.Tap(tc, redact.Server))
	c.isTLS.Store(true)
	c.rec.update(func(r *ConnRecord) { r.TLS = true })
	return true
}

func (c *conn) backendKind() backendKind {
	if c.isTLS.Load() {
		return backendKind{allowAuth: true}
	}
	allow := c.srv.plainMode == ModePlaintext
	if c.srv.cfg.allowPlainAuth != nil {
		allow = *c.srv.cfg.allowPlainAuth
	}
	return backendKind{allowAuth: allow, startTLS: c.srv.plainMode == ModeStartTLS}
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
	be, greeting, err := c.dialBackend(preAuth)
	if err != nil {
		c.srv.logf("conn %d: backend: %v", c.id, err)
		c.setClosedBy("shutdown")
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
	c.attach(be)
	if len(line) > 0 && !c.write(line) {
		return false
	}
	return !c.post(a)
}

// dialBackend opens a pipe to the backend for this connection's state and
// reads its greeting.
func (c *conn) dialBackend(preAuthUser string) (*backendSession, []byte, error) {
	pc, err := c.srv.backend.dial(c.backendKind(), preAuthUser)
	if err != nil {
		return nil, nil, err
	}
	be := &backendSession{conn: pc, br: bufio.NewReader(pc), done: make(chan struct{})}
	_ = pc.SetReadDeadline(time.Now().Add(backendTimeout))
	greeting, err := readLine(be.br, maxServerLine)
	if err != nil {
		pc.Close()
		return nil, nil, err
	}
	_ = pc.SetReadDeadline(time.Time{})
	return be, greeting, nil
}

// attach makes be the connection's backend and starts pumping its output
// to the client.
func (c *conn) attach(be *backendSession) {
	c.mu.Lock()
	c.be = be
	c.pending = nil
	c.contTag = ""
	c.mu.Unlock()
	go c.pump(be)
	select {
	case <-c.closed:
		be.conn.Close()
	default:
	}
}

// detach stops the current backend without ending the client connection.
func (c *conn) detach() {
	c.mu.Lock()
	be := c.be
	c.be = nil
	c.pending = nil
	c.contTag = ""
	c.mu.Unlock()
	if be != nil {
		be.detached.Store(true)
		be.conn.Close()
		<-be.done
	}
}

func (c *conn) rewriteCaps(line []byte) []byte {
	if !bytes.Contains(line, []byte("CAPABILITY ")) {
		return line
	}
	return rewriteCaps(line, func(caps []string) []string {
		return c.faults().Capabilities(c.info(), c.persona.caps(caps))
	})
}

// startTLS answers STARTTLS itself: the backend behind a plaintext port
// cannot do TLS over its pipe.
func (c *conn) startTLS(tag string, mode faults.StartTLSMode) bool {
	ok := c.persona.startTLSOK(tag)
	switch mode {
	case faults.StartTLSStall:
		c.detach()
		if c.write(ok) {
			c.silence()
		}
		return false
	case faults.StartTLSPlaintext:
		// Stay on the plaintext backend. A client that starts its handshake
		// gets a plaintext IMAP answer, as from a server that never switched.
		if !c.write(ok) {
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
	if !c.write(ok) {
		return false
	}
	// Bytes the client pipelined after STARTTLS are discarded with the old
	// reader (RFC 3501 6.2.1: no plaintext injection).
	if !c.handshake() {
		return false
	}
	be, _, err := c.dialBackend("")
	if err != nil {
		c.srv.logf("conn %d: backend: %v", c.id, err)
		return false
	}
	c.attach(be)
	return true
}

// closeWith ends the client connection without a TLS close_notify, as a
// crash or a middlebox would: a FIN, or with CloseRST a reset.
func (c *conn) closeWith(mode faults.CloseMode) {
	c.closeOnce.Do(func() {
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
	c.tmu.Lock()
	tc := c.tlsConn
	c.tmu.Unlock()
	if tc != nil {
		c.wmu.Lock()
		_ = tc.SetWriteDeadline(time.Now().Add(time.Second))
		_ = tc.CloseWrite()
		c.wmu.Unlock()
	}
	c.closeWith(faults.CloseFIN)
}

func (c *conn) finish() {
	c.setClosedBy("client")
	c.closeWith(faults.CloseFIN)
	c.detach()
	c.srv.mu.Lock()
	delete(c.srv.conns, c)
	shutdown := c.srv.closed
	c.srv.mu.Unlock()
	c.mu.Lock()
	by := c.closedBy
	c.mu.Unlock()
	if shutdown && by == "client" {
		by = "shutdown"
	}
	c.rec.update(func(r *ConnRecord) {
		r.End = time.Now()
		r.Closed = by
	})
	c.srv.logConn(c.rec.snapshot(), c.unfired())
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
