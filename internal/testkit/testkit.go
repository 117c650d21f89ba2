// Package testkit holds the test helpers that several packages' tests
// share, so that each exists once. Only _test.go files import it: the
// shipped binaries must not link the testing package.
package testkit

import (
	"bufio"
	"bytes"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// Buffer is a bytes.Buffer that one goroutine may write while another
// reads it: a log sink, or a child process's output.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// WaitFor waits up to 5 s until the buffer holds s, and returns its
// content; output copied from a pipe may trail what the test saw first.
func (b *Buffer) WaitFor(t testing.TB, s string) string {
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

// Greeting connects to addr and returns the first line the server sends.
func Greeting(t testing.TB, addr string) string {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(5 * time.Second))
	l, err := bufio.NewReader(nc).ReadString('\n')
	if err != nil {
		t.Fatalf("greeting from %s: %v", addr, err)
	}
	return l
}

// UTF8Env is env as a getenv function, in a UTF-8 locale (LANG=C.UTF-8)
// unless env sets LC_ALL or LANG, so that a command under test writes the
// symbols a terminal user sees.
func UTF8Env(env map[string]string) func(string) string {
	return func(k string) string {
		if _, ok := env["LC_ALL"]; !ok && k == "LANG" {
			if v, ok := env[k]; ok {
				return v
			}
			return "C.UTF-8"
		}
		return env[k]
	}
}
