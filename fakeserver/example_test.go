package fakeserver_test

import (
	"crypto/x509"
	"errors"
	"fmt"
	"log"

	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/faults"
)

// A server whose certificate has expired: the client's handshake fails
// with x509.Expired, and the server's record shows the fault firing.
// README.md's "The fake server in Go tests" shows this function as it is
// written here; TestREADMEExample fails when the two differ.
func Example() {
	expired, _ := faults.Parse("cert:expired") // -> tls.cert_expired
	// In a test, fakeserver.New(t, ...) starts it and t.Cleanup closes it.
	srv, err := fakeserver.Start(fakeserver.WithFaults(expired))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	user, pass := srv.User()   // seeded: alice, a random password
	tlsConf := srv.TLSConfig() // trusts srv.CAPool(); or write srv.CACertPEM()
	fmt.Println(srv.URL() == "imaps://"+user+"@"+srv.Addr()+"/INBOX")
	c, err := imapclient.DialTLS(srv.Addr(), &imapclient.Options{TLSConfig: tlsConf})
	if err == nil {
		err = c.Login(user, pass).Wait()
		c.Close()
	}
	var invalid x509.CertificateInvalidError
	fmt.Println(errors.As(err, &invalid) && invalid.Reason == x509.Expired)

	// Assert on what the server saw, too: the fault fired at the TLS hook.
	for _, rec := range srv.Connections() {
		for _, f := range rec.Faults {
			fmt.Println(rec.Port, f.Hook, f.Kind, f.Count)
		}
	}
	// Output:
	// true
	// true
	// tls tls cert 1
}
