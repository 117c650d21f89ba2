// Package certs generates throwaway X.509 material in memory: a local CA, leaf
// certificates for loopback, and the deliberately broken variants (expired,
// not yet valid, self-signed, wrong host, unknown CA, missing intermediate)
// that the fake server and the real-server suites serve to clients.
package certs

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"time"
)

// LoopbackHosts are the names a default leaf certificate is valid for.
var LoopbackHosts = []string{"127.0.0.1", "::1", "localhost"}

// Authority is a certificate authority that lives only in memory.
type Authority struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// NewAuthority makes a self-signed root CA valid from an hour ago for ten years.
func NewAuthority(commonName string) (*Authority, error) {
	return newCA(nil, pkix.Name{CommonName: commonName, Organization: []string{"imapprobe test CA"}}, 10)
}

// Pool returns a pool that trusts only this authority.
func (a *Authority) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(a.Cert)
	return p
}

// CertPEM returns the authority's certificate in PEM form, for clients to trust.
func (a *Authority) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: a.Cert.Raw})
}

// Leaf describes a certificate to issue. Zero times mean "valid from an hour
// ago for a year"; empty Hosts means LoopbackHosts.
type Leaf struct {
	Hosts     []string
	NotBefore time.Time
	NotAfter  time.Time
	// ViaIntermediate signs the leaf with an intermediate CA that the
	// authority signs; the chain served then holds leaf and intermediate.
	ViaIntermediate bool
	// OmitIntermediate serves only the leaf of an intermediate-signed chain,
	// the classic "incomplete chain" misconfiguration. It implies
	// ViaIntermediate.
	OmitIntermediate bool
}

// Issue signs a leaf certificate for a TLS server.
func (a *Authority) Issue(l Leaf) (tls.Certificate, error) {
	signer, signerKey := a.Cert, a.Key
	var chain [][]byte
	if l.ViaIntermediate || l.OmitIntermediate {
		inter, err := a.intermediate()
		if err != nil {
			return tls.Certificate{}, err
		}
		signer, signerKey = inter.Cert, inter.Key
		if !l.OmitIntermediate {
			chain = append(chain, inter.Cert.Raw)
		}
	}
	return signLeaf(l, signer, signerKey, chain)
}

// SelfSigned makes a leaf that signs itself, trusted by nobody.
func SelfSigned(l Leaf) (tls.Certificate, error) {
	return signLeaf(l, nil, nil, nil)
}

// signLeaf issues the leaf l signed by parent (itself when parent is nil)
// and appends the rest of the chain to serve.
func signLeaf(l Leaf, parent *x509.Certificate, parentKey crypto.Signer, chain [][]byte) (tls.Certificate, error) {
	key, err := newKey()
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := leafTemplate(l)
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("certs: sign leaf: %w", err)
	}
	return assemble(append([][]byte{der}, chain...), key)
}

// EncodePEM returns the chain and the private key of c in PEM form, as files
// for servers such as Dovecot (ssl_cert, ssl_key).
func EncodePEM(c tls.Certificate) (chainPEM, keyPEM []byte, err error) {
	var buf bytes.Buffer
	for _, der := range c.Certificate {
		if err := pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: der}); err != nil {
			return nil, nil, err
		}
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(c.PrivateKey)
	if err != nil {
		return nil, nil, fmt.Errorf("certs: marshal key: %w", err)
	}
	return buf.Bytes(), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), nil
}

func (a *Authority) intermediate() (*Authority, error) {
	return newCA(a, pkix.Name{CommonName: a.Cert.Subject.CommonName + " intermediate"}, 5)
}

// newCA makes a CA valid from an hour ago for years: a root signing
// itself when parent is nil, else an intermediate that parent signs and
// that may sign only leaves.
func newCA(parent *Authority, subject pkix.Name, years int) (*Authority, error) {
	key, err := newKey()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               subject,
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(years, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	what, signer, signerKey := "CA", tmpl, key
	if parent != nil {
		what, signer, signerKey = "intermediate", parent.Cert, parent.Key
		tmpl.MaxPathLenZero = true
	} else {
		tmpl.KeyUsage |= x509.KeyUsageCRLSign
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, key.Public(), signerKey)
	if err != nil {
		return nil, fmt.Errorf("certs: create %s: %w", what, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("certs: parse %s: %w", what, err)
	}
	return &Authority{Cert: cert, Key: key}, nil
}

func leafTemplate(l Leaf) *x509.Certificate {
	hosts := l.Hosts
	if len(hosts) == 0 {
		hosts = LoopbackHosts
	}
	now := time.Now()
	notBefore, notAfter := l.NotBefore, l.NotAfter
	if notBefore.IsZero() {
		notBefore = now.Add(-time.Hour)
	}
	if notAfter.IsZero() {
		notAfter = now.AddDate(1, 0, 0)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: hosts[0]},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	return tmpl
}

func assemble(chain [][]byte, key crypto.Signer) (tls.Certificate, error) {
	leaf, err := x509.ParseCertificate(chain[0])
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: chain, PrivateKey: key, Leaf: leaf}, nil
}

func newKey() (crypto.Signer, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("certs: generate key: %w", err)
	}
	return k, nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return n
}
