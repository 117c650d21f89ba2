// Package fakeserver is a real IMAP server for tests, in-process or as the
// fakeimapd program, that misbehaves on demand through the faults package.
//
// A front owns each client socket (TCP, TLS, STARTTLS, greeting, command
// framing) and carries out the faults' actions; behind it, an in-memory
// go-imap imapserver over the seeded users' imapmemserver mailboxes speaks
// the protocol. The API follows net/http/httptest: New(t) starts a server
// on loopback that closes with the test. WithPersona(PersonaDovecot) makes
// the front speak as Dovecot 2.3 does (greeting, capabilities, status texts).
package fakeserver

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/imapprobe/imapprobe/faults"
	"github.com/imapprobe/imapprobe/internal/certs"
	"github.com/imapprobe/imapprobe/internal/redact"
)

// Server is a running fake IMAP server.
type Server struct {
	cfg     config
	ca      *certs.Authority
	goodTLS *tls.Config
	users   *userDB
	backend *backend
	// redact masks the seeded secrets in their wire encodings; its
	// patterns are built once, and each connection takes a Fresh copy.
	redact *redact.Session

	plainLn, tlsLn net.Listener
	plainMode      Mode // ModeStartTLS or ModePlaintext, for plainLn

	// faults is the active fault set with its names and fired counters;
	// faultsMu serialises changes so a read-modify-write cannot lose one,
	// and guards nameSeq, the last N of each kind's generated KIND-N name.
	faults   atomic.Pointer[faultState]
	faultsMu sync.Mutex
	nameSeq  map[string]int
	nextID   atomic.Uint64

	mu      sync.Mutex
	conns   map[*conn]struct{}
	records []*connRecord
	closed  bool

	wg        sync.WaitGroup
	closeOnce sync.Once
}

// TB is the part of testing.TB that New uses; *testing.T, *testing.B and
// *testing.F satisfy it. It keeps package testing out of programs that
// embed the server (fakeimapd, imapprobe demo), as httptest does.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// New starts a server on loopback for a test and closes it when the test
// ends. It fails the test if the server cannot start.
func New(tb TB, opts ...Option) *Server {
	tb.Helper()
	s, err := Start(opts...)
	if err != nil {
		tb.Fatalf("fakeserver: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// Start starts a server; the caller must Close it.
func Start(opts ...Option) (*Server, error) {
	cfg := config{listen: "127.0.0.1:0", tlsListen: "127.0.0.1:0", maxRecords: 1000}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.mode < ModeImplicitTLS || cfg.mode > ModePlaintext {
		return nil, fmt.Errorf("unknown mode %v", cfg.mode)
	}
	if _, ok := personaNames[cfg.persona]; !ok {
		return nil, fmt.Errorf("unknown persona %v", cfg.persona)
	}
	if cfg.messages < 0 {
		return nil, fmt.Errorf("negative message count %d", cfg.messages)
	}
	t := &cfg.timeouts
	t.Handshake = orDefault(t.Handshake, 10*time.Second)
	t.Idle = orDefault(t.Idle, 5*time.Minute)
	t.Write = orDefault(t.Write, 30*time.Second)
	if len(cfg.users) == 0 {
		cfg.users = []userSpec{{name: DefaultUser}}
	}
	if _, ok := freshNames[cfg.fresh]; !ok {
		return nil, fmt.Errorf("unknown fresh-state scope %v", cfg.fresh)
	}
	if err := cfg.checkMailboxes(); err != nil {
		return nil, err
	}
	if err := cfg.checkSeeds(); err != nil {
		return nil, err
	}
	if err := cfg.checkRecordDir(); err != nil {
		return nil, err
	}

	ca, err := certs.NewAuthority("imapprobe fakeserver CA")
	if err != nil {
		return nil, err
	}
	leaf, err := ca.Issue(certs.Leaf{})
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:     cfg,
		ca:      ca,
		goodTLS: &tls.Config{Certificates: []tls.Certificate{leaf}, MinVersion: tls.VersionTLS12},
		users:   newUserDB(),
		conns:   make(map[*conn]struct{}),
	}
	s.backend = newBackend(s.users, cfg.persona.spec())
	s.backend.logf = s.logf
	if cfg.upstream != nil {
		if cfg.persona != PersonaGoImap {
			return nil, errors.New("WithUpstream and WithPersona exclude each other: a proxy speaks with the upstream's words")
		}
		if s.backend.upstream, err = parseUpstream(*cfg.upstream); err != nil {
			return nil, err
		}
	}
	s.backend.fresh, s.backend.restricted = cfg.fresh, cfg.restricted
	s.faults.Store(newFaultState(nil))
	s.SetFaults(cfg.faults)
	for _, us := range cfg.users {
		if err := s.addUser(us); err != nil {
			return nil, err
		}
	}
	s.redact = redact.NewSession(s.wireSecrets()...)

	s.plainMode = ModeStartTLS
	if cfg.mode == ModePlaintext {
		s.plainMode = ModePlaintext
	}
	if cfg.mode != ModeImplicitTLS || cfg.bothPorts {
		if s.plainLn, err = ListenLoopback(cfg.listen); err != nil {
			return nil, err
		}
	}
	if cfg.mode == ModeImplicitTLS || cfg.bothPorts {
		if s.tlsLn, err = ListenLoopback(cfg.tlsListen); err != nil {
			if s.plainLn != nil {
				s.plainLn.Close()
			}
			return nil, err
		}
	}
	if s.plainLn != nil {
		s.serve(s.plainLn, false)
	}
	if s.tlsLn != nil {
		s.serve(s.tlsLn, true)
	}
	return s, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// ListenLoopback listens on addr, refusing non-loopback addresses: the fake
// is for tests and has well-known weaknesses by design.
func ListenLoopback(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("listen address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("listen address %q is not loopback: use 127.0.0.1:PORT or [::1]:PORT", addr)
	}
	return net.Listen("tcp", addr)
}

func (s *Server) addUser(us userSpec) error {
	if us.name == "" {
		return errors.New("empty user name")
	}
	if us.pass == "" {
		us.pass = randomSecret()
	}
	u := &user{name: us.name, password: us.pass, tokens: us.tokens,
		store: newMailStore(us.name, us.pass), recipe: &seedRecipe{name: us.name, pass: us.pass}}
	if err := s.seedStore(u); err != nil {
		return err
	}
	if err := s.seedMailboxes(u); err != nil {
		return err
	}
	s.users.add(u)
	return nil
}

func (s *Server) serve(ln net.Listener, implicitTLS bool) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				time.Sleep(10 * time.Millisecond)
				continue
			}
			if s.cfg.wrapConn != nil {
				nc = s.cfg.wrapConn(nc)
			}
			c := s.newConn(nc, implicitTLS)
			if c == nil {
				nc.Close()
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				c.serve()
			}()
		}
	}()
}

// Addr is the main address, the port of the Mode given: implicit TLS
// under ModeImplicitTLS, else the plain (STARTTLS or plaintext) port.
func (s *Server) Addr() string {
	if s.cfg.mode == ModeImplicitTLS {
		return s.tlsLn.Addr().String()
	}
	return s.plainLn.Addr().String()
}

// TLSAddr is the implicit-TLS address, or "" when there is none.
func (s *Server) TLSAddr() string {
	if s.tlsLn == nil {
		return ""
	}
	return s.tlsLn.Addr().String()
}

// PlainAddr is the plain/STARTTLS address, or "" when there is none.
func (s *Server) PlainAddr() string {
	if s.plainLn == nil {
		return ""
	}
	return s.plainLn.Addr().String()
}

// URL is a ready target for the first user's INBOX:
// imaps://alice@127.0.0.1:PORT/INBOX for implicit TLS, else imap://...
// (which means STARTTLS, or plaintext under ModePlaintext). A proxy's
// has no user: log in as one of the upstream's.
func (s *Server) URL() string {
	u := url.URL{Scheme: "imap", Host: s.Addr(), Path: "/INBOX", User: s.urlUser()}
	if s.cfg.mode == ModeImplicitTLS {
		u.Scheme = "imaps"
	}
	return u.String()
}

// Mode is the main port's mode.
func (s *Server) Mode() Mode { return s.cfg.mode }

// Persona is the server the fake looks like on the wire.
func (s *Server) Persona() Persona { return s.cfg.persona }

// CAPool trusts the server's good certificate.
func (s *Server) CAPool() *x509.CertPool { return s.ca.Pool() }

// CACertPEM is the CA certificate in PEM form, for clients outside Go.
func (s *Server) CACertPEM() []byte { return s.ca.CertPEM() }

// TLSConfig returns a client configuration that trusts the server, with
// ServerName 127.0.0.1.
func (s *Server) TLSConfig() *tls.Config {
	return &tls.Config{RootCAs: s.CAPool(), ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}

// User returns the first user's name and password.
func (s *Server) User() (name, password string) {
	u := s.users.first()
	return u.name, u.password
}

// Credential is a seeded user.
type Credential struct {
	Name     string   `json:"name"`
	Password string   `json:"-"`
	Tokens   []string `json:"-"`
}

// Users returns every seeded user in the order added. Secrets are not
// marshalled to JSON.
func (s *Server) Users() []Credential {
	var out []Credential
	for _, u := range s.users.list() {
		out = append(out, Credential{Name: u.name, Password: u.password, Tokens: append([]string(nil), u.tokens...)})
	}
	return out
}

// Token returns the first OAuth token of user, or "" if it has none.
func (s *Server) Token(user string) string {
	u := s.users.get(user)
	if u == nil || len(u.tokens) == 0 {
		return ""
	}
	return u.tokens[0]
}

// Close stops listening, ends every connection and waits for them.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		conns := make([]*conn, 0, len(s.conns))
		for c := range s.conns {
			conns = append(conns, c)
		}
		s.mu.Unlock()
		if s.plainLn != nil {
			s.plainLn.Close()
		}
		if s.tlsLn != nil {
			s.tlsLn.Close()
		}
		for _, c := range conns {
			c.closeWith(faults.CloseFIN)
		}
		s.wg.Wait()
		s.backend.close()
	})
	return nil
}
