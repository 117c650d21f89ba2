package faults

import (
	"crypto/tls"
	"fmt"
	"sync"
	"time"

	"github.com/imapprobe/imapprobe/internal/certs"
)

// Cert makes the server present a bad certificate or cap its TLS version:
//
//	cert:expired               issued by the server's CA, expired a day ago
//	cert:expiring              issued by the server's CA, expires in 3 days
//	cert:not-yet-valid         issued by the server's CA, valid from tomorrow
//	cert:self-signed           a leaf that signs itself
//	cert:wrong-host            for mail.example.invalid only
//	cert:unknown-ca            signed by a CA nobody trusts
//	cert:missing-intermediate  signed by an intermediate the server omits
//	cert:tls1.0                TLS 1.0 at most (also tls1.1, tls1.2)
//	cert:rc4-only              TLS 1.2 at most with RC4 as the only cipher,
//	                           which no current client offers
//
// Go's crypto/tls speaks TLS 1.0 to 1.3 only (SSLv3 was removed in Go
// 1.14), so tls1.0 is the lowest cap. A Go server offers TLS 1.0 and 1.1
// only when MinVersion says so, which the cap does; Go clients refuse
// anything below TLS 1.2 unless their MinVersion allows it, and FIPS 140
// mode allows TLS 1.2 and up only.
//
// nth and times count TLS handshakes.
type Cert struct {
	Variant string `json:"variant"`

	scoped
	mu sync.Mutex
	// made caches the certificate per authority: generating is slow.
	made map[*certs.Authority]tls.Certificate
}

// certVariants lists the cert fault variants.
var certVariants = []string{
	"expired", "expiring", "not-yet-valid", "self-signed", "wrong-host", "unknown-ca",
	"missing-intermediate", "tls1.0", "tls1.1", "tls1.2", "rc4-only",
}

var tlsCaps = map[string]uint16{
	"tls1.0": tls.VersionTLS10,
	"tls1.1": tls.VersionTLS11,
	"tls1.2": tls.VersionTLS12,
}

// ExpiringIn is how long a cert:expiring certificate has left.
const ExpiringIn = 3 * 24 * time.Hour

// WrongHost is the only name a cert:wrong-host certificate is valid for.
const WrongHost = "mail.example.invalid"

func init() {
	register(new(Cert), plain(parseCert), form{"cert:VARIANT", "cert:expired"})
}

func parseCert(_, args string) (Fault, error) { return &Cert{Variant: args}, nil }

func (f *Cert) check() *fieldError {
	v, e := oneOf("variant", "cert variant", f.Variant, certVariants)
	f.Variant = v
	return e
}

// Kind returns "cert".
func (f *Cert) Kind() string { return "cert" }

// Spec returns the text form.
func (f *Cert) Spec() string { return "cert:" + f.Variant + scopeSuffix(&f.scope) }

func (f *Cert) firesBeforeUser() bool { return true }

// TLSConfig returns a copy of good with the bad certificate or the
// version cap.
func (f *Cert) TLSConfig(good *tls.Config, ca *certs.Authority) (*tls.Config, error) {
	cfg := good.Clone()
	if v, ok := tlsCaps[f.Variant]; ok {
		cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS10, v
		return cfg, nil
	}
	if f.Variant == "rc4-only" {
		cfg.MaxVersion = tls.VersionTLS12
		cfg.CipherSuites = []uint16{tls.TLS_ECDHE_ECDSA_WITH_RC4_128_SHA}
		return cfg, nil
	}
	cert, err := f.certificate(ca)
	if err != nil {
		return nil, err
	}
	cfg.Certificates = []tls.Certificate{cert}
	cfg.GetCertificate = nil
	cfg.GetConfigForClient = nil
	return cfg, nil
}

func (f *Cert) certificate(ca *certs.Authority) (tls.Certificate, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.made[ca]; ok {
		return c, nil
	}
	c, err := f.generate(ca)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("faults: %s: %w", f.Spec(), err)
	}
	if f.made == nil {
		f.made = map[*certs.Authority]tls.Certificate{}
	}
	f.made[ca] = c
	return c, nil
}

func (f *Cert) generate(ca *certs.Authority) (tls.Certificate, error) {
	now := time.Now()
	switch f.Variant {
	case "self-signed":
		return certs.SelfSigned(certs.Leaf{})
	case "unknown-ca":
		other, err := certs.NewAuthority("imapprobe unknown CA")
		if err != nil {
			return tls.Certificate{}, err
		}
		return other.Issue(certs.Leaf{})
	}
	if ca == nil {
		return tls.Certificate{}, fmt.Errorf("needs the server's certificate authority")
	}
	switch f.Variant {
	case "expired":
		return ca.Issue(certs.Leaf{NotBefore: now.AddDate(-1, 0, 0), NotAfter: now.Add(-24 * time.Hour)})
	case "expiring":
		return ca.Issue(certs.Leaf{NotBefore: now.AddDate(0, -3, 0), NotAfter: now.Add(ExpiringIn)})
	case "not-yet-valid":
		return ca.Issue(certs.Leaf{NotBefore: now.Add(24 * time.Hour), NotAfter: now.AddDate(1, 0, 0)})
	case "wrong-host":
		return ca.Issue(certs.Leaf{Hosts: []string{WrongHost}})
	case "missing-intermediate":
		return ca.Issue(certs.Leaf{OmitIntermediate: true})
	}
	return tls.Certificate{}, fmt.Errorf("unknown cert variant %q", f.Variant)
}
