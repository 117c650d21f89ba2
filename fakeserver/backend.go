package fakeserver

import (
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"slices"
	"sync"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-sasl"
)

// backendKind names the imapserver instance a front splices a client to. The
// front owns the client socket; the backend only ever sees an in-memory pipe,
// so it cannot tell TLS from plaintext and these flags tell it instead.
type backendKind struct {
	allowAuth bool // InsecureAuth: LOGIN/AUTHENTICATE allowed on this pipe
	startTLS  bool // advertise STARTTLS (the front answers it)
}

// backend is the real IMAP implementation behind every front: the seeded
// users' imapmemserver mailboxes, shared by up to four imapserver.Server
// instances.
type backend struct {
	upstream   *upstreamTarget // WithUpstream: connections go there instead
	logf       func(format string, args ...any)
	users      *userDB
	mechanisms []string // SASL mechanisms offered
	caps       imap.CapSet
	fresh      FreshScope // WithFreshState
	restricted string     // WithRestrictedMailbox: refuses SELECT and STATUS

	mu      sync.Mutex
	servers map[backendKind]*pipeListener
	wg      sync.WaitGroup
	closed  bool
	imapSrv []*imapserver.Server
}

func newBackend(users *userDB, p *personaSpec) *backend {
	b := &backend{
		users:      users,
		mechanisms: saslMechanisms,
		caps:       imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}, imap.CapSpecialUse: {}},
		servers:    make(map[backendKind]*pipeListener),
	}
	if p.mechanisms != nil {
		b.mechanisms = p.mechanisms
	}
	if p.literalPlus {
		b.caps[imap.CapLiteralPlus] = struct{}{}
	}
	return b
}

// dial connects a new imapserver connection of the given kind to the
// front through p, whose backendEnd the imapserver serves.
func (b *backend) dial(kind backendKind, p *memPipe) error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return net.ErrClosed
	}
	if b.upstream != nil {
		b.wg.Add(1)
		b.mu.Unlock()
		go func() {
			defer b.wg.Done()
			b.proxy(p)
		}()
		return nil
	}
	ln := b.servers[kind]
	if ln == nil {
		ln = newPipeListener()
		b.servers[kind] = ln
		srv := b.newIMAPServer(kind)
		b.imapSrv = append(b.imapSrv, srv)
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			_ = srv.Serve(ln)
		}()
	}
	b.mu.Unlock()
	if err := ln.deliver(backendEnd{p}); err != nil {
		p.close()
		return err
	}
	return nil
}

func (b *backend) newIMAPServer(kind backendKind) *imapserver.Server {
	var tlsConfig *tls.Config
	if kind.startTLS {
		// Never used for a handshake: the front intercepts STARTTLS. It only
		// makes the backend advertise STARTTLS.
		tlsConfig = &tls.Config{}
	}
	return imapserver.New(&imapserver.Options{
		NewSession: func(c *imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			s := &session{backend: b, conn: c}
			if bc, ok := c.NetConn().(backendEnd); ok && bc.m.preAuthUser != "" {
				u := b.users.get(bc.m.preAuthUser)
				if u == nil {
					return nil, nil, errors.New("fakeserver: unknown PREAUTH user")
				}
				if err := s.bind(u); err != nil {
					return nil, nil, err
				}
				return s, &imapserver.GreetingData{PreAuth: true}, nil
			}
			return s, nil, nil
		},
		Caps:         b.caps,
		Logger:       log.New(io.Discard, "", 0),
		TLSConfig:    tlsConfig,
		InsecureAuth: kind.allowAuth,
	})
}

func (b *backend) close() {
	b.mu.Lock()
	b.closed = true
	srvs := b.imapSrv
	lns := b.servers
	b.mu.Unlock()
	for _, ln := range lns {
		ln.Close()
	}
	for _, s := range srvs {
		s.Close()
	}
	b.wg.Wait()
}

// pipeListener is a net.Listener fed by dial through a channel.
type pipeListener struct {
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{ch: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) deliver(c net.Conn) error {
	select {
	case l.ch <- c:
		return nil
	case <-l.done:
		return net.ErrClosed
	}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "fakeserver-backend" }

// session is the backend session: imapmemserver's, plus LOGIN against the
// seeded users, SASL PLAIN/XOAUTH2/OAUTHBEARER, the NOPERM mailbox,
// whole-message FETCH sections written from the stored bytes
// (fetch_partial.go) and Dovecot's flags (keywords.go).
type session struct {
	*imapmemserver.UserSession // nil until logged in
	backend                    *backend
	conn                       *imapserver.Conn
	user                       string     // the logged-in user's name
	selected                   string     // the selected mailbox's name
	readOnly                   bool       // it was opened with EXAMINE (readonly.go)
	store                      *mailStore // the store UserSession opens (fresh.go)
}

var (
	_ imapserver.SessionIMAP4rev2 = (*session)(nil)
	_ imapserver.SessionSASL      = (*session)(nil)
)

func (s *session) Login(username, password string) error {
	u := s.backend.users.get(username)
	if u == nil || !u.checkPassword(password) {
		return imapserver.ErrAuthFailed
	}
	return s.bind(u)
}

func (s *session) loginToken(username, token string) bool {
	u := s.backend.users.get(username)
	if u == nil || !u.checkToken(token) {
		return false
	}
	return s.bind(u) == nil
}

func (s *session) Close() error {
	if s.UserSession == nil {
		return nil
	}
	return s.UserSession.Close()
}

var errNoPerm = &imap.Error{
	Type: imap.StatusResponseTypeNo,
	Code: imap.ResponseCodeNoPerm,
	Text: "Permission denied",
}

func (s *session) Select(name string, options *imap.SelectOptions) (*imap.SelectData, error) {
	if s.restricted(name) {
		return nil, errNoPerm
	}
	data, err := s.UserSession.Select(name, options)
	if err != nil {
		return nil, err
	}
	s.selectFlags(name, options.ReadOnly, data)
	s.readOnly = options.ReadOnly
	return data, nil
}

func (s *session) Status(name string, options *imap.StatusOptions) (*imap.StatusData, error) {
	if s.restricted(name) {
		return nil, errNoPerm
	}
	return s.UserSession.Status(name, options)
}

// saslMechanisms are the mechanisms the backend offers by default (a
// capability fault may hide some of them, or advertise others the backend
// then refuses; a persona may offer LOGIN too).
var saslMechanisms = []string{"PLAIN", "XOAUTH2", "OAUTHBEARER"}

func (s *session) AuthenticateMechanisms() []string { return s.backend.mechanisms }

func (s *session) Authenticate(mech string) (sasl.Server, error) {
	if !slices.Contains(s.backend.mechanisms, mech) {
		mech = "" // not offered: refused below
	}
	switch mech {
	case "PLAIN":
		return &plainServer{inner: sasl.NewPlainServer(func(identity, username, password string) error {
			if identity != "" && identity != username {
				return &imap.Error{
					Type: imap.StatusResponseTypeNo,
					Code: imap.ResponseCodeAuthorizationFailed,
					Text: "SASL identity not supported",
				}
			}
			return s.Login(username, password)
		})}, nil
	case "LOGIN":
		return &loginServer{login: s.Login}, nil
	case "XOAUTH2":
		return &xoauth2Server{login: s.loginToken}, nil
	case "OAUTHBEARER":
		return newOAuthBearerServer(s.loginToken), nil
	}
	return nil, &imap.Error{
		Type: imap.StatusResponseTypeNo,
		Text: "SASL mechanism not supported",
	}
}
