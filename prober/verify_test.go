package prober

import (
	"crypto/tls"
	"crypto/x509"
	"strings"
	"testing"
	"time"

	"github.com/imapprobe/imapprobe/internal/certs"
)

func parsed(t *testing.T, c tls.Certificate, extra ...*x509.Certificate) []*x509.Certificate {
	t.Helper()
	var out []*x509.Certificate
	for _, der := range c.Certificate {
		x, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, x)
	}
	return append(out, extra...)
}

// TestVerifyChain: expiry is judged on the chain that verifies, and an
// untrusted chain says whether a root or an intermediate is the problem.
func TestVerifyChain(t *testing.T) {
	t.Parallel()
	ca, err := certs.NewAuthority("private root")
	if err != nil {
		t.Fatal(err)
	}
	must := func(c tls.Certificate, err error) tls.Certificate {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	good := must(ca.Issue(certs.Leaf{}))
	expiredLeaf := must(ca.Issue(certs.Leaf{NotBefore: time.Now().AddDate(-2, 0, 0), NotAfter: time.Now().AddDate(-1, 0, 0)}))
	noInter := must(ca.Issue(certs.Leaf{OmitIntermediate: true}))
	other, err := certs.NewAuthority("unrelated")
	if err != nil {
		t.Fatal(err)
	}
	stale := parsed(t, must(other.Issue(certs.Leaf{Hosts: []string{"old.example"}, NotBefore: time.Now().AddDate(-3, 0, 0), NotAfter: time.Now().AddDate(-2, 0, 0)})))[0]
	cases := []struct {
		name  string
		chain []*x509.Certificate
		roots *x509.CertPool
		code  Code
		want  string // a phrase the detail must hold
		not   string // a phrase it must not hold
	}{
		{"good", parsed(t, good), ca.Pool(), "", "", ""},
		// openssl s_client -verify_return_error and Go accept this server
		{"good plus an unrelated expired certificate", parsed(t, good, stale), ca.Pool(), "", "", ""},
		{"expired leaf", parsed(t, expiredLeaf), ca.Pool(), "tls.cert_expired", "certificate expired", ""},
		{"leaf signed by an untrusted private root, leaf only", parsed(t, good), x509.NewCertPool(), "tls.cert_untrusted",
			"if it is a private root CA, pass it with --ca-file", "missing an intermediate"},
		{"untrusted root sent with the leaf", parsed(t, good, ca.Cert), x509.NewCertPool(), "tls.cert_untrusted",
			"the chain ends in the root CN=private root", "intermediate"},
		{"intermediate omitted", parsed(t, noInter), ca.Pool(), "tls.cert_untrusted", "if it is an intermediate, configure the server to send it", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, detail := verifyChain(tc.chain, tc.roots, "127.0.0.1", time.Now())
			if code != tc.code {
				t.Fatalf("code %q (%s), want %q", code, detail, tc.code)
			}
			if !strings.Contains(detail, tc.want) || tc.not != "" && strings.Contains(detail, tc.not) {
				t.Errorf("detail %q: want %q, not %q", detail, tc.want, tc.not)
			}
		})
	}
	want := stale.Subject.String() + " (valid " + stale.NotBefore.Format(time.DateOnly) + " to " + stale.NotAfter.Format(time.DateOnly) + ")"
	if n := outOfDate([]*x509.Certificate{stale, ca.Cert}, time.Now()); n != want {
		t.Errorf("outOfDate %q, want %q", n, want)
	}
}

// cipherSuiteName names every suite as crypto/tls does, unknown ones too.
func TestCipherSuiteName(t *testing.T) {
	t.Parallel()
	ids := []uint16{0, 0x1234, 0xffff}
	for _, c := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		ids = append(ids, c.ID)
	}
	for _, id := range ids {
		if got, want := cipherSuiteName(id), tls.CipherSuiteName(id); got != want {
			t.Errorf("cipherSuiteName(%#04x) = %q, want %q", id, got, want)
		}
	}
}
