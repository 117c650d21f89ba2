package main

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/imapprobe/imapprobe/fakeserver"
)

// upstreamFlags are --upstream, --upstream-ca and --upstream-insecure:
// proxy mode, the fake's faults in front of a real server.
type upstreamFlags struct {
	url, caFile string
	insecure    bool
}

// option checks the flags and returns the proxy's option, nil without
// --upstream.
func (f upstreamFlags) option() (*fakeserver.Upstream, error) {
	if f.url == "" {
		if f.caFile != "" || f.insecure {
			return nil, errors.New("--upstream-ca and --upstream-insecure need --upstream URL")
		}
		return nil, nil
	}
	if f.caFile != "" && f.insecure {
		return nil, errors.New("--upstream-ca and --upstream-insecure exclude each other: verify against the CA, or not at all")
	}
	u := &fakeserver.Upstream{URL: f.url, Insecure: f.insecure}
	if f.caFile != "" {
		pem, err := os.ReadFile(f.caFile)
		if err != nil {
			return nil, fmt.Errorf("--upstream-ca: %v", err)
		}
		u.RootCAs = x509.NewCertPool()
		if !u.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--upstream-ca %s: no PEM certificate in it", f.caFile)
		}
	}
	return u, nil
}

// upstreamError words fakeserver's proxy errors in flags.
func upstreamError(err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "WithUpstream and WithPersona"):
		return errors.New("--upstream and --persona exclude each other: a proxy speaks with the upstream's words")
	case strings.HasPrefix(msg, "upstream "):
		return fmt.Errorf("--%s", msg)
	}
	return err
}
