package certs

import (
	"crypto/tls"
	"crypto/x509"
	"testing"
	"time"

	"github.com/imapprobe/imapprobe/internal/testkit"
)

func TestVerifyOutcomes(t *testing.T) {
	t.Parallel()
	ca, err := NewAuthority("test CA")
	if err != nil {
		t.Fatal(err)
	}
	other, err := NewAuthority("other CA")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	self, err := SelfSigned(Leaf{})
	if err != nil {
		t.Fatal(err)
	}
	issue := func(a *Authority, l Leaf) [][]byte {
		c, err := a.Issue(l)
		if err != nil {
			t.Fatal(err)
		}
		return c.Certificate
	}
	tests := []struct {
		name  string
		chain [][]byte
		host  string
		check func(error) bool
	}{
		{"good", issue(ca, Leaf{}), "127.0.0.1", func(err error) bool { return err == nil }},
		{"good via intermediate", issue(ca, Leaf{ViaIntermediate: true}), "localhost", func(err error) bool { return err == nil }},
		{"expired", issue(ca, Leaf{NotBefore: now.AddDate(-1, 0, 0), NotAfter: now.AddDate(0, 0, -1)}), "127.0.0.1", testkit.IsInvalid(x509.Expired)},
		{"not yet valid", issue(ca, Leaf{NotBefore: now.AddDate(0, 0, 1)}), "127.0.0.1", testkit.IsInvalid(x509.Expired)},
		{"wrong host", issue(ca, Leaf{Hosts: []string{"mail.example.net"}}), "127.0.0.1", testkit.ErrorAs[x509.HostnameError]},
		{"unknown CA", issue(other, Leaf{}), "127.0.0.1", testkit.ErrorAs[x509.UnknownAuthorityError]},
		{"self-signed", self.Certificate, "127.0.0.1", testkit.ErrorAs[x509.UnknownAuthorityError]},
		{"missing intermediate", issue(ca, Leaf{OmitIntermediate: true}), "127.0.0.1", testkit.ErrorAs[x509.UnknownAuthorityError]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if err := testkit.VerifyChain(tc.chain, ca.Pool(), tc.host); !tc.check(err) {
				t.Fatalf("verify error = %v (%T)", err, err)
			}
		})
	}
}

func TestEncodePEM(t *testing.T) {
	t.Parallel()
	ca, err := NewAuthority("pem CA")
	if err != nil {
		t.Fatal(err)
	}
	c, err := ca.Issue(Leaf{ViaIntermediate: true})
	if err != nil {
		t.Fatal(err)
	}
	chain, key, err := EncodePEM(c)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(chain, key)
	if err != nil {
		t.Fatal(err)
	}
	if len(pair.Certificate) != 2 {
		t.Errorf("PEM chain holds %d certificates, want leaf and intermediate", len(pair.Certificate))
	}
}
