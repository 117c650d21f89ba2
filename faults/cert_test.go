package faults

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/imapprobe/imapprobe/internal/certs"
	"github.com/imapprobe/imapprobe/internal/testkit"
)

var testCA = sync.OnceValues(func() (*certs.Authority, error) { return certs.NewAuthority("faults test CA") })

// goodConfig returns the server's normal config, as the fake server has it.
func goodConfig(t *testing.T) (*tls.Config, *certs.Authority) {
	t.Helper()
	ca, err := testCA()
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Issue(certs.Leaf{})
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{leaf}}, ca
}

// badConfig returns what the spec's faults make of the good config.
func badConfig(t *testing.T, spec string) (bad, good *tls.Config, ca *certs.Authority) {
	t.Helper()
	good, ca = goodConfig(t)
	bad, err := mustSet(t, spec).TLSConfig(good, ca)
	if err != nil {
		t.Fatal(err)
	}
	return bad, good, ca
}

// TestCertVerification checks that each bad certificate fails a client's
// verification the way its name says.
func TestCertVerification(t *testing.T) {
	t.Parallel()
	tests := []struct {
		variant string
		check   func(error) bool
		chain   int
	}{
		{"expired", testkit.IsInvalid(x509.Expired), 1},
		{"expiring", func(err error) bool { return err == nil }, 1}, // still valid
		{"not-yet-valid", testkit.IsInvalid(x509.Expired), 1},       // Go uses Expired for both ends
		{"self-signed", testkit.ErrorAs[x509.UnknownAuthorityError], 1},
		{"wrong-host", isHostname, 1},
		{"unknown-ca", testkit.ErrorAs[x509.UnknownAuthorityError], 1},
		{"missing-intermediate", testkit.ErrorAs[x509.UnknownAuthorityError], 1},
	}
	for _, tt := range tests {
		t.Run(tt.variant, func(t *testing.T) {
			t.Parallel()
			cfg, good, ca := badConfig(t, "cert:"+tt.variant)
			if cfg == good || len(cfg.Certificates) != 1 {
				t.Fatalf("config not replaced: %d certificates", len(cfg.Certificates))
			}
			chain := cfg.Certificates[0].Certificate
			if len(chain) != tt.chain {
				t.Errorf("chain has %d certificates, want %d", len(chain), tt.chain)
			}
			if err := testkit.VerifyChain(chain, ca.Pool(), "127.0.0.1"); !tt.check(err) {
				t.Errorf("verify error = %v (%T)", err, err)
			}
		})
	}
}

func isHostname(err error) bool {
	var e x509.HostnameError
	return errors.As(err, &e) && e.Host == "127.0.0.1" && e.Certificate.DNSNames[0] == WrongHost
}

// TestCertMissingIntermediate: the leaf is signed by the CA's
// intermediate, which is not served.
func TestCertMissingIntermediate(t *testing.T) {
	t.Parallel()
	cfg, _, ca := badConfig(t, "cert:missing-intermediate")
	leaf := cfg.Certificates[0].Leaf
	if want := ca.Cert.Subject.CommonName + " intermediate"; leaf.Issuer.CommonName != want {
		t.Errorf("issuer %q, want %q", leaf.Issuer.CommonName, want)
	}
}

func TestCertCachedPerAuthority(t *testing.T) {
	t.Parallel()
	good, ca := goodConfig(t)
	set := mustSet(t, "cert:expired")
	first, err := set.TLSConfig(good, ca)
	if err != nil {
		t.Fatal(err)
	}
	again, err := set.TLSConfig(good, ca)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first.Certificates[0].Certificate[0], again.Certificates[0].Certificate[0]) {
		t.Error("certificate generated twice for one authority")
	}
	other, err := certs.NewAuthority("other CA")
	if err != nil {
		t.Fatal(err)
	}
	third, err := set.TLSConfig(good, other)
	if err != nil {
		t.Fatal(err)
	}
	if third.Certificates[0].Leaf.Issuer.CommonName != "other CA" {
		t.Errorf("issued by %q for another authority", third.Certificates[0].Leaf.Issuer.CommonName)
	}
}

func TestCertNeedsAuthority(t *testing.T) {
	t.Parallel()
	good, _ := goodConfig(t)
	_, err := mustSet(t, "cert:expired").TLSConfig(good, nil)
	if err == nil || err.Error() != "faults: cert:expired: needs the server's certificate authority" {
		t.Errorf("error = %v", err)
	}
}

// TestCertScope: nth and times count handshakes.
func TestCertScope(t *testing.T) {
	t.Parallel()
	good, ca := goodConfig(t)
	set := mustSet(t, "cert:tls1.0;nth=2")
	for i, want := range []bool{false, true, false} {
		cfg, err := set.TLSConfig(good, ca)
		if err != nil {
			t.Fatal(err)
		}
		if replaced := cfg != good; replaced != want {
			t.Errorf("handshake %d: replaced = %v, want %v", i+1, replaced, want)
		}
	}
}

// TestCertVersionCap runs real handshakes in memory: a capped server
// talks to a client that allows the old version, and a default Go client
// refuses it.
func TestCertVersionCap(t *testing.T) {
	t.Parallel()
	tests := []struct {
		variant   string
		version   uint16
		clientMin uint16
		wantErr   string // "" for success
	}{
		{"tls1.0", tls.VersionTLS10, tls.VersionTLS10, ""},
		{"tls1.1", tls.VersionTLS11, tls.VersionTLS10, ""},
		{"tls1.2", tls.VersionTLS12, 0, ""},
		{"tls1.0", 0, 0, "protocol version not supported"},
		{"tls1.1", 0, 0, "protocol version not supported"},
		{"tls1.2", 0, tls.VersionTLS13, "protocol version not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.variant, func(t *testing.T) {
			t.Parallel()
			cfg, _, ca := badConfig(t, "cert:"+tt.variant)
			client := &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost", MinVersion: tt.clientMin}
			state, err := handshake(cfg, client)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("handshake: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("handshake error = %v, want %q", err, tt.wantErr)
			case tt.wantErr == "" && state.Version != tt.version:
				t.Errorf("negotiated %x, want %x", state.Version, tt.version)
			}
		})
	}
}

// TestCertRC4Only: the server agrees on RC4 with a client that offers it,
// and fails a default Go client's handshake, which offers no RC4.
func TestCertRC4Only(t *testing.T) {
	t.Parallel()
	cfg, _, ca := badConfig(t, "cert:rc4-only")
	rc4 := &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost", MaxVersion: tls.VersionTLS12,
		CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_RC4_128_SHA}}
	state, err := handshake(cfg, rc4)
	if err != nil {
		t.Fatalf("RC4 client: %v", err)
	}
	if state.CipherSuite != tls.TLS_ECDHE_ECDSA_WITH_RC4_128_SHA || state.Version != tls.VersionTLS12 {
		t.Errorf("RC4 client negotiated %s over %x", tls.CipherSuiteName(state.CipherSuite), state.Version)
	}
	_, err = handshake(cfg, &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost"})
	if err == nil || !strings.Contains(err.Error(), "handshake failure") {
		t.Errorf("default client: error = %v, want a handshake failure", err)
	}
}

// handshake runs a TLS handshake over an in-memory pipe and returns what
// the client negotiated.
func handshake(server, client *tls.Config) (tls.ConnectionState, error) {
	s, c := net.Pipe()
	defer s.Close()
	defer c.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv := tls.Server(s, server)
		_ = srv.Handshake()
		s.Close()
	}()
	cl := tls.Client(c, client)
	err := cl.Handshake()
	c.Close()
	<-done
	return cl.ConnectionState(), err
}
