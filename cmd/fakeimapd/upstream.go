package main

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/imapprobe/imapprobe/fakeserver"
)

// upstreamFlags are --upstream, --upstream-ca, --upstream-insecure and
// --record: proxy mode, the fake's faults in front of a real server, and
// its sessions recorded.
type upstreamFlags struct {
	url, caFile string
	insecure    bool
	record      string
}

// option checks the flags and returns the proxy's option, nil without
// --upstream.
func (f upstreamFlags) option() (*fakeserver.Upstream, error) {
	if f.url == "" {
		if f.caFile != "" || f.insecure {
			return nil, errors.New("--upstream-ca and --upstream-insecure need --upstream URL")
		}
		if f.record != "" {
			return nil, errors.New("--record DIR needs --upstream URL: it records the sessions the proxy passes on (imapprobe --record FILE records a probe)")
		}
		return nil, nil
	}
	if fi, err := os.Stat(f.record); f.record != "" && err == nil && !fi.IsDir() {
		return nil, fmt.Errorf("--record %s: not a directory: it gets one file a connection", f.record)
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

// proxyLogin is the ready line's login in proxy mode: the url has no user,
// because the fake's users mean nothing there.
const proxyLogin = "a user of the upstream, with the upstream's password"

// upstreamError words fakeserver's proxy errors in flags.
func upstreamError(err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "WithUpstream and WithPersona"):
		return errors.New("--upstream and --persona exclude each other: a proxy speaks with the upstream's words")
	case strings.HasPrefix(msg, "upstream "):
		return fmt.Errorf("--%s", msg)
	case strings.HasPrefix(msg, "WithSessionRecordings: "):
		return fmt.Errorf("--record: %s", strings.TrimPrefix(msg, "WithSessionRecordings: "))
	}
	return err
}
