package main

import (
	"crypto/tls"
	"testing"

	pt "github.com/imapprobe/imapprobe/prober/probertest"
)

func tlsConfig(t *testing.T) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{pt.PKI(t).Good}}
}
