package main

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/internal/testkit"
)

// exporterBin and demoBin are what imapprobe serve and imapprobe demo
// exec; TestMain removes them.
var (
	exporterBin = &testkit.Binary{Pkg: "../imapprobe-exporter"}
	demoBin     = &testkit.Binary{Pkg: "../imapprobe-demo"}
)

// servePair puts imapprobe and the exporter side by side, as make build
// does, and returns imapprobe's path there.
func servePair(t *testing.T) string {
	t.Helper()
	return sideBySide(t, exporterBin)
}

// sideBySide puts imapprobe and sibling in one directory and returns
// imapprobe's path there.
func sideBySide(t *testing.T, sibling *testkit.Binary) string {
	t.Helper()
	dir := t.TempDir()
	for _, src := range []string{binary(t), sibling.Path(t)} {
		if err := os.Link(src, filepath.Join(dir, filepath.Base(src))); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "imapprobe")
}

// TestServeExec: imapprobe serve and imapprobe demo hand their arguments
// to the exporter and the demo beside them, or on PATH; without one they
// say how to install it, on one line, with exit 2.
func TestServeExec(t *testing.T) {
	t.Parallel()
	alone := filepath.Join(t.TempDir(), "imapprobe")
	if err := os.Link(binary(t), alone); err != nil {
		t.Fatal(err)
	}
	onPath := t.TempDir()
	if err := os.Link(exporterBin.Path(t), filepath.Join(onPath, exporterCommand)); err != nil {
		t.Fatal(err)
	}
	demoOnPath := t.TempDir()
	if err := os.Link(demoBin.Path(t), filepath.Join(demoOnPath, demoCommand)); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name       string
		bin, path  string
		sub        string
		args       []string
		code       int
		wantStdout string // prefix
		wantStderr string
	}{
		{"help beside", servePair(t), "", "serve", []string{"--help"}, 0, "usage: imapprobe serve --config FILE", ""},
		{"bad flag beside", servePair(t), "", "serve", []string{"--nope"}, 2, "", "imapprobe serve: unknown flag --nope; run imapprobe serve --help\n"},
		{"no config on PATH", alone, onPath, "serve", nil, 2, "", "imapprobe serve: --config FILE is required: a YAML file with a modules: section (see README.md)\n"},
		{"missing", alone, t.TempDir(), "serve", []string{"--help"}, 2, "",
			"imapprobe serve: imapprobe-exporter is not installed (looked in " + filepath.Dir(alone) + " or on PATH): install it with go install github.com/imapprobe/imapprobe/cmd/imapprobe-exporter@latest, or run make build\n"},
		{"demo beside", sideBySide(t, demoBin), "", "demo", []string{"--scenario", "wrong-password"}, 0, "imapprobe demo: 1 scenarios against the embedded fake IMAP server\n", ""},
		{"demo bad flag on PATH", alone, demoOnPath, "demo", []string{"--nope"}, 2, "", "imapprobe demo: unknown flag --nope; run imapprobe demo --help\n"},
		{"demo missing", alone, onPath, "demo", nil, 2, "",
			"imapprobe demo: imapprobe-demo is not installed (looked in " + filepath.Dir(alone) + " or on PATH): install it with go install github.com/imapprobe/imapprobe/cmd/imapprobe-demo@latest, or run make build\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(c.bin, append([]string{c.sub}, c.args...)...)
			cmd.Env = []string{"PATH=" + c.path}
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := 0
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				code = exit.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != c.code || !strings.HasPrefix(stdout.String(), c.wantStdout) || stderr.String() != c.wantStderr {
				t.Errorf("exit %d, stdout %.80q, stderr %q\nwant exit %d, stdout starting %q, stderr %q", code, stdout.String(), stderr.String(), c.code, c.wantStdout, c.wantStderr)
			}
		})
	}
}

// TestServeProcess runs imapprobe serve as a process, which execs the
// exporter beside it (so signals to its PID reach the exporter): a probe through it,
// reload on SIGHUP (a bad file keeps the old modules), exit 0 on SIGTERM,
// and the password in no log line.
func TestServeProcess(t *testing.T) {
	t.Parallel()
	const password = "canary-Serve-9a8b7c6d-do-not-print"
	srv := fakeserver.New(t, fakeserver.WithUser("alice", password))
	dir := t.TempDir()
	write := func(name, content string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ca := write("ca.pem", string(srv.CACertPEM()))
	cfg := write("imapprobe.yml", "modules:\n  first:\n    ca_file: "+ca+"\n    password_env: IMAP_PW\n")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(servePair(t), "serve", "--listen", addr, "--config", cfg, "--log-level", "debug")
	cmd.Env = []string{"IMAP_PW=" + password}
	var stderr testkit.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()

	client := &http.Client{Timeout: 10 * time.Second}
	get := func(path string) (int, string) {
		resp, err := client.Get("http://" + addr + path)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// until returns once the index page holds want.
	until := func(want string) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if _, body := get("/"); strings.Contains(body, want) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the index never showed %q\nstderr:\n%s", want, stderr.String())
			}
		}
	}
	until("modules: first\n")
	code, body := get("/probe?" + url.Values{"target": {srv.URL()}, "module": {"first"}}.Encode())
	if code != 200 || !strings.Contains(body, "\nprobe_success 1\n") {
		t.Errorf("probe: %d\n%s\nstderr:\n%s", code, body, stderr.String())
	}

	write("imapprobe.yml", "modules:\n  second: {}\n")
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	until("modules: second\n")
	write("imapprobe.yml", "modules: [\n")
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(stderr.String(), "configuration reload failed"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no reload failure logged:\n%s", stderr.String())
		}
	}
	until("modules: second\n")

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err = <-waited:
	case <-time.After(10 * time.Second):
		t.Fatal("still serving 10 s after SIGTERM")
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	if err != nil {
		t.Errorf("exit %d after SIGTERM, want 0\n%s", exit.ExitCode(), stderr.String())
	}
	if strings.Contains(stderr.String(), password) {
		t.Errorf("the log shows the password:\n%s", stderr.String())
	}
}
