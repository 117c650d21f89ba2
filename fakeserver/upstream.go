package fakeserver

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// Proxy mode: the front's faults in front of a real IMAP server. Each
// backend connection the front dials is a connection to the upstream
// server instead of to imapserver (proxy.go); this file is the upstream's
// address and how a connection to it is opened.

// Upstream is a real IMAP server the fake proxies to (WithUpstream).
type Upstream struct {
	// URL is imaps://host:port (implicit TLS) or imap://host:port
	// (STARTTLS, which the proxy does itself before any client command).
	URL string
	// RootCAs verify the upstream's certificate; nil means the system's.
	RootCAs *x509.CertPool
	// Insecure skips the verification (a server with a self-signed
	// certificate the caller has no CA for).
	Insecure bool
}

// WithUpstream makes the fake a proxy in front of a real server: clients
// speak to the fake (its ports, its certificate, so cert faults work),
// every command and response passes through to the upstream, and the
// faults act on them as on the fake's own backend. The seeded users and
// mailboxes are not used, and the persona is the upstream's own words.
// The proxy knows no secret in advance: each connection learns the
// password or token its client sends (LOGIN, AUTHENTICATE) and masks it
// from then on in every output, so an upstream that echoes it leaks it
// into no transcript, log line, record or recording.
func WithUpstream(u Upstream) Option { return func(c *config) { c.upstream = &u } }

// upstreamTimeout bounds opening an upstream connection: the TCP connect,
// the TLS handshake, the greeting and the proxy's STARTTLS.
const upstreamTimeout = 10 * time.Second

// upstreamTarget is a parsed Upstream.
type upstreamTarget struct {
	addr     string
	startTLS bool
	tls      *tls.Config
}

func parseUpstream(u Upstream) (*upstreamTarget, error) {
	p, err := url.Parse(u.URL)
	if err != nil || p.Host == "" {
		return nil, fmt.Errorf("upstream %q: want imaps://host:port or imap://host:port", u.URL)
	}
	t := &upstreamTarget{}
	switch p.Scheme {
	case "imaps":
		t.addr = hostPort(p, "993")
	case "imap":
		t.addr, t.startTLS = hostPort(p, "143"), true
	default:
		return nil, fmt.Errorf("upstream %q: scheme %q: want imaps:// (implicit TLS) or imap:// (STARTTLS)", u.URL, p.Scheme)
	}
	t.tls = &tls.Config{ServerName: p.Hostname(), RootCAs: u.RootCAs, InsecureSkipVerify: u.Insecure, MinVersion: tls.VersionTLS12}
	return t, nil
}

func hostPort(p *url.URL, port string) string {
	if p.Port() != "" {
		return p.Host
	}
	return net.JoinHostPort(p.Hostname(), port)
}

// dial opens a secured connection to the upstream and returns it, with
// its greeting line (CRLF included). Over STARTTLS, the greeting's
// [CAPABILITY] code, if any, is replaced by the list the server gives
// after TLS, as a client of a TLS port would have been told.
func (t *upstreamTarget) dial() (net.Conn, []byte, error) {
	deadline := time.Now().Add(upstreamTimeout)
	raw, err := net.DialTimeout("tcp", t.addr, upstreamTimeout)
	if err != nil {
		return nil, nil, err
	}
	_ = raw.SetDeadline(deadline)
	conn := raw
	if !t.startTLS {
		conn = tls.Client(raw, t.tls)
	}
	br := bufio.NewReaderSize(conn, 1024)
	greeting, err := upstreamLine(br)
	if err == nil && t.startTLS {
		conn, greeting, err = t.startTLSOn(raw, br, greeting)
	}
	if err != nil {
		raw.Close()
		return nil, nil, err
	}
	_ = conn.SetDeadline(time.Time{})
	return conn, greeting, nil
}

// maxUpstreamLine bounds the lines the proxy reads itself.
const maxUpstreamLine = 8 << 10

func upstreamLine(br *bufio.Reader) ([]byte, error) { return readLine(br, maxUpstreamLine) }

// startTLSOn upgrades the upstream connection and asks its capabilities.
func (t *upstreamTarget) startTLSOn(raw net.Conn, br *bufio.Reader, greeting []byte) (net.Conn, []byte, error) {
	if _, err := raw.Write([]byte("P1 STARTTLS\r\n")); err != nil {
		return nil, nil, err
	}
	if _, err := upstreamTagged(br, "P1"); err != nil {
		return nil, nil, fmt.Errorf("upstream STARTTLS: %w", err)
	}
	if br.Buffered() > 0 {
		return nil, nil, errors.New("upstream STARTTLS: bytes after the OK, before TLS")
	}
	tc := tls.Client(raw, t.tls)
	if err := tc.Handshake(); err != nil {
		return nil, nil, fmt.Errorf("upstream STARTTLS: %w", err)
	}
	if _, err := tc.Write([]byte("P2 CAPABILITY\r\n")); err != nil {
		return nil, nil, err
	}
	lines, err := upstreamTagged(bufio.NewReaderSize(tc, 1024), "P2")
	if err != nil {
		return nil, nil, fmt.Errorf("upstream CAPABILITY: %w", err)
	}
	for _, l := range lines {
		if caps, ok := strings.CutPrefix(strings.TrimRight(l, "\r\n"), "* CAPABILITY "); ok {
			greeting = rewriteCaps(greeting, func([]string) []string { return strings.Fields(caps) })
		}
	}
	return tc, greeting, nil
}

// upstreamTagged reads lines up to the tagged reply, which must be OK.
func upstreamTagged(br *bufio.Reader, tag string) ([]string, error) {
	var lines []string
	for range 64 {
		l, err := upstreamLine(br)
		if err != nil {
			return nil, err
		}
		s := string(l)
		if rest, ok := strings.CutPrefix(s, tag+" "); ok {
			if !strings.HasPrefix(strings.ToUpper(rest), "OK") {
				return nil, fmt.Errorf("refused: %s", strings.TrimSpace(rest))
			}
			return lines, nil
		}
		lines = append(lines, s)
	}
	return nil, errors.New("no tagged reply in 64 lines")
}
