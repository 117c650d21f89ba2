package prober

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"sync"
	"syscall"
	"time"
)

// TLSDetails is the evidence of a TLS handshake (tls or starttls step).
type TLSDetails struct {
	Version     string        `json:"version,omitempty"`
	Cipher      string        `json:"cipher,omitempty"`
	ALPN        string        `json:"alpn,omitempty"`
	SNI         string        `json:"sni,omitempty"`
	Verified    bool          `json:"verified"`
	VerifyError string        `json:"verify_error,omitempty"`
	Chain       []CertSummary `json:"chain,omitempty"`
}

// CertSummary describes one certificate the server presented.
type CertSummary struct {
	Subject   string    `json:"subject"`
	SANs      []string  `json:"sans,omitempty"`
	Issuer    string    `json:"issuer"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	DaysLeft  int       `json:"days_left"`
}

func (p *probe) serverName() string {
	if p.t.ServerName != "" {
		return p.t.ServerName
	}
	return p.t.Host
}

func (p *probe) implicitTLS(in session, s *Step) (session, bool) {
	d := &TLSDetails{}
	s.Details = d
	return p.handshake(in, s, d)
}

// handshake runs TLS over the raw connection, with our own verification so
// that --insecure-skip-verify still reports what would have failed. The
// session it returns talks on TLS.
func (p *probe) handshake(in session, s *Step, d *TLSDetails) (session, bool) {
	name := p.serverName()
	var verifyCode Code
	var verifyDetail string
	cfg := &tls.Config{
		ServerName:         name,
		InsecureSkipVerify: true, // verified in VerifyConnection below
		MinVersion:         tls.VersionTLS10,
		NextProtos:         []string{"imap"},
		VerifyConnection: func(cs tls.ConnectionState) error {
			verifyCode, verifyDetail = verifyChain(cs.PeerCertificates, p.o.RootCAs, name, time.Now())
			if verifyCode != "" && !p.o.InsecureSkipVerify {
				return errVerify
			}
			return nil
		},
	}
	if net.ParseIP(name) == nil {
		d.SNI = name
	}
	head := &headConn{Conn: p.raw}
	conn := tls.Client(head, cfg)
	// The raw connection's deadline (the step's, and a past one once the
	// probe's context is done) bounds the handshake: HandshakeContext
	// would start a goroutine per probe to watch a context that says the
	// same.
	err := conn.Handshake()
	cs := conn.ConnectionState()
	summarizeChain(d, cs.PeerCertificates)
	if err != nil {
		var rhe tls.RecordHeaderError
		var alert tls.AlertError
		switch {
		case errors.Is(err, errVerify):
			d.VerifyError = verifyDetail
			return in, p.fail(s, verifyCode, verifyDetail)
		case errors.As(err, &rhe):
			return in, p.fail(s, "tls.not_tls", "expected a TLS record, got: "+head.quoteFirstLine())
		case errors.Is(err, syscall.ECONNRESET) && head.empty():
			return in, p.resetOnOpen(err)
		case isTimeout(err) || p.ctx.Err() != nil || !time.Now().Before(p.deadline):
			return in, p.fail(s, "tls.timeout", fmt.Sprintf("no TLS handshake within %s: %v", p.waitLimit(), err))
		case errors.As(err, &alert):
			return in, p.fail(s, "tls.handshake_failed", "server sent TLS alert: "+err.Error())
		case isClosed(err):
			// no alert to name: say what the silence usually means
			return in, p.fail(s, "tls.handshake_failed", "the server closed the connection during the TLS handshake without a TLS alert ("+err.Error()+
				"): it may accept none of the TLS versions or ciphers offered, refuse this client, or be cut off by a middlebox")
		}
		return in, p.fail(s, "tls.handshake_failed", err.Error())
	}
	d.Version = tls.VersionName(cs.Version)
	d.Cipher = cipherSuiteName(cs.CipherSuite)
	d.ALPN = cs.NegotiatedProtocol
	d.Verified = verifyCode == ""
	d.VerifyError = verifyDetail
	p.rec.Note("TLS handshake: %s, %s, ALPN %q, SNI %q, %d certificate(s), leaf %s", d.Version, d.Cipher, d.ALPN, d.SNI, len(d.Chain), leafName(d))
	if n := outOfDate(cs.PeerCertificates[min(1, len(cs.PeerCertificates)):], time.Now()); n != "" && verifyCode == "" {
		s.Note = "the server also sent certificates outside their validity period, not needed for the chain that verifies: " + n
	}
	if verifyCode != "" {
		p.warn(s, verifyCode, verifyDetail+" (ignored: --insecure-skip-verify)")
	}
	if cs.Version < tls.VersionTLS12 {
		p.warn(s, "tls.weak_version", "negotiated "+d.Version)
	}
	if len(cs.PeerCertificates) > 0 {
		left := time.Until(cs.PeerCertificates[0].NotAfter)
		if left > 0 && left < p.o.ExpiryWarning {
			p.warn(s, "tls.cert_expiring", fmt.Sprintf("certificate expires %s (%d days left)", cs.PeerCertificates[0].NotAfter.Format(time.RFC3339), int(left.Hours()/24)))
		}
	}
	in.tls = tlsState{on: true, version: cs.Version}
	in.wire = p.newWire(conn)
	return in, true
}

var errVerify = errors.New("certificate verification failed")

// cipherNames maps every suite crypto/tls knows to its name, built once:
// tls.CipherSuiteName builds the whole list of suites at every call.
var cipherNames = sync.OnceValue(func() map[uint16]string {
	m := map[uint16]string{}
	for _, c := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		m[c.ID] = c.Name
	}
	return m
})

// cipherSuiteName is tls.CipherSuiteName without its allocations.
func cipherSuiteName(id uint16) string {
	if name, ok := cipherNames()[id]; ok {
		return name
	}
	return tls.CipherSuiteName(id)
}

func leafName(d *TLSDetails) string {
	if len(d.Chain) == 0 {
		return "-"
	}
	return d.Chain[0].Subject
}

// headConn keeps the first bytes the server sent below TLS, to quote them
// when plaintext comes back instead of a TLS record.
type headConn struct {
	net.Conn
	mu   sync.Mutex
	head []byte
}

func (c *headConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.mu.Lock()
	if room := 256 - len(c.head); room > 0 {
		c.head = append(c.head, b[:min(n, room)]...)
	}
	c.mu.Unlock()
	return n, err
}

func (c *headConn) empty() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.head) == 0
}

func (c *headConn) quoteFirstLine() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	got := c.head
	if i := bytes.IndexByte(got, '\n'); i >= 0 {
		got = got[:i+1]
	}
	return quote(got)
}

func summarizeChain(d *TLSDetails, certs []*x509.Certificate) {
	d.Chain = d.Chain[:0]
	for _, c := range certs {
		d.Chain = append(d.Chain, CertSummary{Subject: c.Subject.String(), SANs: sans(c), Issuer: c.Issuer.String(),
			NotBefore: c.NotBefore, NotAfter: c.NotAfter, DaysLeft: int(time.Until(c.NotAfter).Hours() / 24)})
	}
}
