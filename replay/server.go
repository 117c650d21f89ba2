// Package replay serves a recorded IMAP session (package recording) as a
// server: the recorded greeting, then each client command answered with
// the responses recorded for the same command, retagged to the client's
// tag, optionally with the recorded delays, and the recorded close. A
// probe of the replay gives the diagnosis the recording holds.
//
// It is a small server of its own rather than a backend of fakeserver's
// front: the front rewrites greetings and capability lists, answers
// STARTTLS and tracks login state itself, and a replay must send the
// recorded bytes as they were. TLS uses a fresh local CA (CAPool,
// CACertPEM); the recorded TLS summary is informational.
package replay

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/imapprobe/imapprobe/internal/certs"
	"github.com/imapprobe/imapprobe/recording"
)

// Option configures a Server.
type Option func(*config)

type config struct {
	listen       string
	timing       bool
	recordedUser bool
	logf         func(format string, args ...any)
	idle         time.Duration
}

// WithListen sets the listen address (loopback only; default 127.0.0.1:0).
func WithListen(addr string) Option { return func(c *config) { c.listen = addr } }

// WithTiming replays the recorded delays: each response line is sent as
// long after the command as it was recorded (at most MaxDelay).
func WithTiming(on bool) Option { return func(c *config) { c.timing = on } }

// WithRecordedUserOnly refuses a login as any user but the recorded one,
// with NO [AUTHENTICATIONFAILED]; by default any credentials get the
// recorded answer. Passwords are never checked: the recording has none.
func WithRecordedUserOnly(on bool) Option { return func(c *config) { c.recordedUser = on } }

// WithLogf receives the log lines: one per connection and one per command
// the recording lacks. They name commands, never their arguments.
func WithLogf(f func(format string, args ...any)) Option { return func(c *config) { c.logf = f } }

// MaxDelay caps one replayed delay, so that a recording cannot stall a
// test for long.
const MaxDelay = 30 * time.Second

// Server is a running replay.
type Server struct {
	rec       *recording.Recording
	greeting  []recording.Line
	exchanges []recording.Exchange
	cfg       config
	ca        *certs.Authority
	tlsConf   *tls.Config
	ln        net.Listener

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	nextID int
	wg     sync.WaitGroup
}

// Start serves rec on loopback until Close.
func Start(rec *recording.Recording, opts ...Option) (*Server, error) {
	if err := rec.Validate(); err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	cfg := config{listen: "127.0.0.1:0", logf: func(string, ...any) {}, idle: 2 * time.Minute}
	for _, o := range opts {
		o(&cfg)
	}
	ca, err := certs.NewAuthority("imapprobe replay CA")
	if err != nil {
		return nil, err
	}
	leaf, err := ca.Issue(certs.Leaf{})
	if err != nil {
		return nil, err
	}
	host, _, err := net.SplitHostPort(cfg.listen)
	if err != nil {
		return nil, fmt.Errorf("replay: listen address %q: %w", cfg.listen, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("replay: listen address %q is not loopback", cfg.listen)
	}
	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	s := &Server{rec: rec, cfg: cfg, ca: ca, ln: ln, conns: map[net.Conn]struct{}{},
		tlsConf: &tls.Config{Certificates: []tls.Certificate{leaf}, MinVersion: tls.VersionTLS12}}
	s.greeting, s.exchanges = rec.Session()
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			nc.Close()
			return
		}
		s.nextID++
		id := s.nextID
		s.conns[nc] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			s.serve(id, nc)
			s.mu.Lock()
			delete(s.conns, nc)
			s.mu.Unlock()
		}()
	}
}

// Addr is the listen address.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// TLS is the recording's TLS mode: implicit, starttls or none.
func (s *Server) TLS() string { return s.rec.TLS }

// CAPool trusts the replay's certificate.
func (s *Server) CAPool() *x509.CertPool { return s.ca.Pool() }

// CACertPEM is the CA certificate in PEM form.
func (s *Server) CACertPEM() []byte { return s.ca.CertPEM() }

// Close stops listening, ends every connection and waits for them.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	err := s.ln.Close()
	s.wg.Wait()
	return err
}
