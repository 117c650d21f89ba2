package testkit

import (
	"crypto/x509"
	"errors"
)

// IsInvalid matches an x509.CertificateInvalidError for reason.
func IsInvalid(reason x509.InvalidReason) func(error) bool {
	return func(err error) bool {
		var e x509.CertificateInvalidError
		return errors.As(err, &e) && e.Reason == reason
	}
}

// ErrorAs reports whether err's chain holds an error of type E, as
// ErrorAs[x509.UnknownAuthorityError].
func ErrorAs[E error](err error) bool {
	var e E
	return errors.As(err, &e)
}

// VerifyChain checks a served chain (DER, leaf first, then what the
// server sends as intermediates) as a TLS client trusting roots would for
// host.
func VerifyChain(chain [][]byte, roots *x509.CertPool, host string) error {
	leaf, err := x509.ParseCertificate(chain[0])
	if err != nil {
		return err
	}
	inter := x509.NewCertPool()
	for _, der := range chain[1:] {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return err
		}
		inter.AddCert(c)
	}
	_, err = leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: host})
	return err
}
