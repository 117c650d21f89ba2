package prober

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"
)

// outOfDate names the certificates outside their validity period.
func outOfDate(certs []*x509.Certificate, now time.Time) string {
	var names []string
	for _, c := range certs {
		if now.After(c.NotAfter) || now.Before(c.NotBefore) {
			names = append(names, fmt.Sprintf("%s (valid %s to %s)", c.Subject, c.NotBefore.Format(time.DateOnly), c.NotAfter.Format(time.DateOnly)))
		}
	}
	return strings.Join(names, "; ")
}

// verifyChain checks the leaf's validity period, trust and host name, in
// that order, and returns the first problem as a tls.cert_* code and a
// detail. Expiry is judged on the chain that verifies (as Go's verifier
// and openssl do), not on every certificate the server happens to send.
func verifyChain(certs []*x509.Certificate, roots *x509.CertPool, name string, now time.Time) (code Code, detail string) {
	if len(certs) == 0 {
		return "tls.cert_untrusted", "the server presented no certificate"
	}
	leaf := certs[0]
	if code, detail := validity(leaf, "certificate", now); code != "" {
		return code, detail
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	_, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: now})
	if err != nil {
		var ua x509.UnknownAuthorityError
		var ci x509.CertificateInvalidError
		switch {
		case errors.As(err, &ci) && ci.Reason == x509.Expired && ci.Cert != nil:
			return validity(ci.Cert, fmt.Sprintf("chain certificate %s", ci.Cert.Subject), now)
		case errors.As(err, &ua) && isSelfSigned(leaf):
			return "tls.cert_self_signed", fmt.Sprintf("self-signed certificate for %s", leaf.Subject)
		case errors.As(err, &ua):
			// an issuer that was sent but is out of its validity period
			// breaks the chain: name it rather than the trust store
			for i, c := range certs[1:] {
				if code, detail := validity(c, fmt.Sprintf("chain certificate %d (%s)", i+1, c.Subject), now); code != "" {
					return code, detail
				}
			}
			return "tls.cert_untrusted", untrustedDetail(err, certs)
		}
		return "tls.cert_untrusted", fmt.Sprintf("%v (issuer %s)", err, leaf.Issuer)
	}
	if err := leaf.VerifyHostname(name); err != nil {
		return "tls.cert_hostname_mismatch", fmt.Sprintf("certificate is for %s, not %q", strings.Join(certNames(leaf), ", "), name)
	}
	return "", ""
}

// validity reports a certificate outside its validity period.
func validity(c *x509.Certificate, what string, now time.Time) (code Code, detail string) {
	switch {
	case now.After(c.NotAfter):
		return "tls.cert_expired", fmt.Sprintf("%s expired %s (%d days ago)", what, c.NotAfter.Format(time.RFC3339), int(now.Sub(c.NotAfter).Hours()/24))
	case now.Before(c.NotBefore):
		return "tls.cert_not_yet_valid", fmt.Sprintf("%s is valid only from %s", what, c.NotBefore.Format(time.RFC3339))
	}
	return "", ""
}

// untrustedDetail tells a missing intermediate from an untrusted root:
// the chain sent ends either in a root (self-signed), which the client
// does not trust, or in a certificate whose issuer was not sent.
func untrustedDetail(err error, certs []*x509.Certificate) string {
	last := certs[len(certs)-1]
	detail := fmt.Sprintf("%v (issuer %s)", err, certs[0].Issuer)
	switch {
	case len(certs) > 1 && isSelfSigned(last):
		return detail + fmt.Sprintf("; the chain ends in the root %s, which is not trusted here: if it is your private CA, pass it with --ca-file", last.Subject)
	case len(last.IssuingCertificateURL) > 0:
		return detail + fmt.Sprintf("; the issuer %s was not sent, and the certificate names where to fetch it (%s): the server is missing an intermediate", last.Issuer, strings.Join(last.IssuingCertificateURL, ", "))
	}
	return detail + fmt.Sprintf("; the issuer %s is not trusted here and was not sent: if it is a private root CA, pass it with --ca-file; if it is an intermediate, configure the server to send it", last.Issuer)
}

func isSelfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawIssuer, c.RawSubject) && c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

// sans returns the certificate's DNS and IP subject alternative names.
func sans(c *x509.Certificate) []string {
	names := append([]string(nil), c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	return names
}

func certNames(c *x509.Certificate) []string {
	if names := sans(c); len(names) > 0 {
		return names
	}
	return []string{"CN=" + c.Subject.CommonName + " (no SANs)"}
}
