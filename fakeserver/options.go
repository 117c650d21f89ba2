package fakeserver

import (
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/imapprobe/imapprobe/faults"
)

// Mode is how a port secures its connections.
type Mode int

const (
	// ModeImplicitTLS is TLS from the first byte, like port 993.
	ModeImplicitTLS Mode = iota
	// ModeStartTLS is plaintext that upgrades with STARTTLS, like port 143;
	// authentication is refused until then.
	ModeStartTLS
	// ModePlaintext never offers TLS and allows authentication in clear.
	ModePlaintext
)

var modeNames = map[Mode]string{ModeImplicitTLS: "tls", ModeStartTLS: "starttls", ModePlaintext: "plaintext"}

func (m Mode) String() string {
	if s, ok := modeNames[m]; ok {
		return s
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// ParseMode reads "tls" (or "implicit", "imaps"), "starttls", or
// "plaintext" (or "plain", "none").
func ParseMode(s string) (Mode, error) {
	switch s {
	case "tls", "implicit", "imaps":
		return ModeImplicitTLS, nil
	case "starttls":
		return ModeStartTLS, nil
	case "plaintext", "plain", "none":
		return ModePlaintext, nil
	}
	return 0, fmt.Errorf("unknown mode %q: use tls, starttls or plaintext", s)
}

// Timeouts bound every wait of the front. The zero value of a field means
// its default.
type Timeouts struct {
	// Handshake bounds a TLS handshake (default 10s).
	Handshake time.Duration
	// Idle bounds the wait for the client's next bytes, also under
	// silence faults (default 5m).
	Idle time.Duration
	// Write bounds each write to the client (default 30s).
	Write time.Duration
}

type config struct {
	mode           Mode
	bothPorts      bool
	listen         string
	tlsListen      string
	faults         faults.Set
	users          []userSpec
	messages       int
	allowPlainAuth *bool
	logger         *slog.Logger
	timeouts       Timeouts
	maxRecords     int
	logTranscripts bool
	persona        Persona
	mailboxes      []mailboxSpec // WithMailbox, in order
	restricted     string        // WithRestrictedMailbox
	fresh          FreshScope    // WithFreshState
	upstream       *Upstream     // WithUpstream
	recordDir      string        // WithSessionRecordings
	seeds          []*Seed       // WithSeed, in order
	// wrapConn, if set, wraps each accepted connection: the write
	// benchmarks count the client socket's writes with it.
	wrapConn func(net.Conn) net.Conn
}

type userSpec struct {
	name, pass string
	tokens     []string
}

// Option configures a Server.
type Option func(*config)

// WithMode sets how the main port secures connections (default
// ModeImplicitTLS).
func WithMode(m Mode) Option { return func(c *config) { c.mode = m } }

// WithBothPorts listens on a plain port (STARTTLS, or plaintext under
// ModePlaintext) and an implicit-TLS port, like 143 and 993.
func WithBothPorts() Option { return func(c *config) { c.bothPorts = true } }

// WithListen sets the address of the plain/STARTTLS port (default
// 127.0.0.1:0).
func WithListen(addr string) Option { return func(c *config) { c.listen = addr } }

// WithTLSListen sets the address of the implicit-TLS port (default
// 127.0.0.1:0).
func WithTLSListen(addr string) Option { return func(c *config) { c.tlsListen = addr } }

// WithFaults sets the faults active from the start.
func WithFaults(f ...faults.Fault) Option {
	return func(c *config) { c.faults = append(c.faults, f...) }
}

// WithUser adds a user with a password; an empty password is replaced by a
// random one (read it back with Server.User or Users). The first user added
// is the one URL names and PREAUTH logs in. Without any WithUser the server
// seeds DefaultUser with a random password.
func WithUser(name, password string) Option {
	return func(c *config) {
		for i := range c.users {
			if c.users[i].name == name {
				c.users[i].pass = password
				return
			}
		}
		c.users = append(c.users, userSpec{name: name, pass: password})
	}
}

// WithToken accepts token for user with XOAUTH2 and OAUTHBEARER, adding
// the user (with a random password) if needed.
func WithToken(user, token string) Option {
	return func(c *config) {
		for i := range c.users {
			if c.users[i].name == user {
				c.users[i].tokens = append(c.users[i].tokens, token)
				return
			}
		}
		c.users = append(c.users, userSpec{name: user, tokens: []string{token}})
	}
}

// WithMessages adds n generated messages to every user's INBOX, after the
// SeededInbox fixed ones; not to the users a WithSeed gives mail.
func WithMessages(n int) Option { return func(c *config) { c.messages = n } }

// WithAllowPlaintextAuth says whether LOGIN and AUTHENTICATE work before
// TLS on the plain port. The default is false under ModeStartTLS (the
// server advertises LOGINDISABLED) and true under ModePlaintext.
func WithAllowPlaintextAuth(allow bool) Option {
	return func(c *config) { c.allowPlainAuth = &allow }
}

// WithLogger logs one line per connection when it ends: its commands (never
// their arguments) and the faults that fired.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithLogTranscripts also logs each connection's transcript, masked, one
// record per line, when the connection ends (needs WithLogger).
func WithLogTranscripts() Option { return func(c *config) { c.logTranscripts = true } }

// WithTimeouts overrides the front's deadlines.
func WithTimeouts(t Timeouts) Option { return func(c *config) { c.timeouts = t } }

// WithMaxRecords bounds how many connection records are kept (default
// 1000; the oldest go first).
func WithMaxRecords(n int) Option { return func(c *config) { c.maxRecords = n } }
