package main

import (
	"bytes"
	"crypto/tls"
	"strings"
	"sync"
	"testing"
	"time"

	pt "github.com/imapprobe/imapprobe/prober/probertest"
)

func tlsConfig(t *testing.T) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{pt.PKI(t).Good}}
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor waits until the buffer holds s, and returns its content.
func (b *syncBuffer) waitFor(t *testing.T, s string) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(b.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("never saw %q in %q", s, b.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return b.String()
}
