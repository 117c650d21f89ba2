package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/imapprobe/imapprobe/internal/testkit"
)

// TestSignalBackstop: a probe that ignores its cancelled context still
// ends the process with exit 130: after the grace period, or at once on a
// second signal, with one line on stderr and, with --json, a JSON object.
// A probe that stops in time exits with its own code and report.
func TestSignalBackstop(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		grace    time.Duration
		signals  int
		json     bool
		obeys    bool // the work returns once cancelled
		min, max time.Duration
		stderr   string
	}{
		{"grace text", 300 * time.Millisecond, 1, false, false, 300 * time.Millisecond, 5 * time.Second, "imapprobe: interrupted; the probe did not stop within 300ms; exiting without a report\n"},
		{"grace json", 300 * time.Millisecond, 1, true, false, 300 * time.Millisecond, 5 * time.Second, "imapprobe: interrupted; the probe did not stop within 300ms; exiting without a report\n"},
		{"second signal", time.Minute, 2, true, false, 0, 5 * time.Second, "imapprobe: interrupted twice; exiting without a report\n"},
		{"obeys", time.Minute, 1, false, true, 0, 5 * time.Second, "work: stopped\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			sigs := make(chan os.Signal, 2)
			release := make(chan struct{})
			t.Cleanup(func() { close(release) })
			started := make(chan struct{})
			work := func(ctx context.Context, stdout, stderr io.Writer) int {
				close(started)
				if c.obeys {
					<-ctx.Done()
					fmt.Fprintln(stderr, "work: stopped")
					return exitInterrupted
				}
				<-release // a probe stuck where no deadline reaches
				fmt.Fprintln(stdout, "late output that must be dropped")
				return 0
			}
			var out, errOut testkit.Buffer
			done := make(chan int, 1)
			go func() { done <- withSignals(sigs, c.grace, c.json, &out, &errOut, work) }()
			<-started
			began := time.Now()
			for range c.signals {
				sigs <- syscall.SIGINT
			}
			var code int
			select {
			case code = <-done:
			case <-time.After(c.max + time.Second):
				t.Fatalf("still running %s after the signal", c.max+time.Second)
			}
			took := time.Since(began)
			if code != exitInterrupted || took < c.min || took > c.max {
				t.Errorf("exit %d after %s, want %d within [%s, %s]", code, took, exitInterrupted, c.min, c.max)
			}
			if errOut.String() != c.stderr {
				t.Errorf("stderr %q, want %q", errOut.String(), c.stderr)
			}
			if !c.json {
				if out.String() != "" {
					t.Errorf("stdout %q, want nothing", out.String())
				}
				return
			}
			var doc struct {
				Schema   string `json:"schema"`
				Error    string `json:"error"`
				ExitCode int    `json:"exit_code"`
			}
			if err := json.Unmarshal([]byte(out.String()), &doc); err != nil || doc.Schema != errorSchema || doc.ExitCode != exitInterrupted || !strings.HasPrefix(doc.Error, "interrupted") {
				t.Errorf("stdout %q (%v), want an error object with exit_code 130", out.String(), err)
			}
		})
	}
}

// silentListener accepts connections and never answers; accepted gets one
// value per connection.
func silentListener(t *testing.T) (port int, accepted <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan struct{}, 16)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			ch <- struct{}{}
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().(*net.TCPAddr).Port, ch
}

// TestSignalEndsTheProcess: the built binary, probing a server that
// accepts and never answers, exits 130 soon after SIGINT or SIGTERM, with
// the report so far (text) or a JSON report with exit_code 130.
func TestSignalEndsTheProcess(t *testing.T) {
	t.Parallel()
	bin := binary(t)
	for _, c := range []struct {
		name string
		sig  syscall.Signal
		json bool
	}{{"SIGINT", syscall.SIGINT, false}, {"SIGTERM", syscall.SIGTERM, false}, {"SIGINT json", syscall.SIGINT, true}, {"SIGTERM json", syscall.SIGTERM, true}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			port, accepted := silentListener(t)
			args := []string{"--tls", "none", "--host", "127.0.0.1", "--port", fmt.Sprint(port), "--user", "alice", "--timeout", "60s", "--total-timeout", "120s"}
			if c.json {
				args = append(args, "--json")
			}
			cmd := exec.Command(bin, args...)
			cmd.Env = []string{"IMAPPROBE_PASSWORD=pw", "LANG=C.UTF-8"}
			var out, errOut bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errOut
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cmd.Process.Kill() })
			waited := make(chan error, 1)
			go func() { waited <- cmd.Wait() }()
			select {
			case <-accepted:
			case err := <-waited:
				t.Fatalf("exited before connecting: %v\n%s%s", err, out.String(), errOut.String())
			case <-time.After(20 * time.Second):
				t.Fatal("the probe never connected")
			}
			time.Sleep(100 * time.Millisecond) // now waiting for the greeting
			began := time.Now()
			if err := cmd.Process.Signal(c.sig); err != nil {
				t.Fatal(err)
			}
			var err error
			select {
			case err = <-waited:
			case <-time.After(10 * time.Second):
				t.Fatalf("still running 10s after %s", c.name)
			}
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != exitInterrupted {
				t.Fatalf("wait: %v, want exit 130\nstdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
			}
			if took := time.Since(began); took > 5*time.Second {
				t.Errorf("exit after %s, want well under the 60s step timeout", took)
			}
			if !strings.Contains(errOut.String(), "interrupted") {
				t.Errorf("stderr %q lacks interrupted", errOut.String())
			}
			if !c.json {
				if !strings.Contains(out.String(), "✓ connect") || !strings.Contains(out.String(), "exit 130") {
					t.Errorf("report so far:\n%s", out.String())
				}
				return
			}
			var doc struct {
				ExitCode int `json:"exit_code"`
				Steps    []struct{ Name, Status string }
			}
			if err := json.Unmarshal(out.Bytes(), &doc); err != nil || doc.ExitCode != exitInterrupted || len(doc.Steps) < 2 || doc.Steps[1].Status != "ok" {
				t.Errorf("JSON (%v):\n%s", err, out.String())
			}
		})
	}
}
