package fakeserver_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/faults"
	"github.com/imapprobe/imapprobe/internal/testkit"
)

// TestCert checks how a Go client that trusts the server's CA fails on
// each bad certificate, over implicit TLS and after STARTTLS.
func TestCert(t *testing.T) {
	t.Parallel()
	tests := []struct {
		spec  string
		check func(error) bool
	}{
		{"cert:expired", testkit.IsInvalid(x509.Expired)},
		{"cert:not-yet-valid", testkit.IsInvalid(x509.Expired)}, // Go reports both as Expired
		{"cert:self-signed", testkit.ErrorAs[x509.UnknownAuthorityError]},
		{"cert:unknown-ca", testkit.ErrorAs[x509.UnknownAuthorityError]},
		{"cert:missing-intermediate", testkit.ErrorAs[x509.UnknownAuthorityError]},
		{"cert:wrong-host", testkit.ErrorAs[x509.HostnameError]},
		{"cert:tls1.0", func(err error) bool { return err != nil && strings.Contains(err.Error(), "protocol version") }},
		{"cert:rc4-only", func(err error) bool { return err != nil && strings.Contains(err.Error(), "handshake failure") }},
	}
	for _, mode := range []fakeserver.Mode{fakeserver.ModeImplicitTLS, fakeserver.ModeStartTLS} {
		for _, tt := range tests {
			t.Run(mode.String()+"/"+tt.spec, func(t *testing.T) {
				t.Parallel()
				srv := fakeserver.New(t, fakeserver.WithMode(mode), withSpecs(t, tt.spec))
				_, err := dialErr(srv)
				if !tt.check(err) {
					t.Fatalf("got %v (%T)", err, errors.Unwrap(err))
				}
				if got := firedSpecs(t, srv); len(got) != 1 || got[0] != "tls:"+tt.spec {
					t.Fatalf("fired %v", got)
				}
			})
		}
	}
}

// TestCertTLSVersionCap: a client that allows TLS 1.0 gets exactly TLS 1.0.
func TestCertTLSVersionCap(t *testing.T) {
	t.Parallel()
	srv := tlsServer(t, "cert:tls1.1")
	cfg := srv.TLSConfig()
	cfg.MinVersion = tls.VersionTLS10
	nc, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", srv.Addr(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if v := nc.ConnectionState().Version; v != tls.VersionTLS11 {
		t.Fatalf("version %x, want TLS 1.1", v)
	}
	c := imapclient.New(nc, nil)
	defer c.Close()
	if err := c.WaitGreeting(); err != nil {
		t.Fatal(err)
	}
}

// TestCertExpiring: the certificate verifies, and expires within
// faults.ExpiringIn.
func TestCertExpiring(t *testing.T) {
	t.Parallel()
	srv := tlsServer(t, "cert:expiring")
	nc, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", srv.Addr(), srv.TLSConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	left := time.Until(nc.ConnectionState().PeerCertificates[0].NotAfter)
	if left <= 0 || left > faults.ExpiringIn {
		t.Fatalf("certificate expires in %v, want within %v", left, faults.ExpiringIn)
	}
}
