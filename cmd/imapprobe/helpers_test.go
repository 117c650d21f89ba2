package main

import (
	"crypto/tls"
	"testing"

	"github.com/imapprobe/imapprobe/internal/testkit"
	pt "github.com/imapprobe/imapprobe/prober/probertest"
)

func tlsConfig(t *testing.T) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{pt.PKI(t).Good}}
}

// imapprobeBin is this command, built for the tests that run it as a
// child process; TestMain removes it.
var imapprobeBin = &testkit.Binary{Pkg: "."}

func binary(t *testing.T) string {
	t.Helper()
	return imapprobeBin.Path(t)
}
