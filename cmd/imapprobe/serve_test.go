package main

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/prober"
)

// TestServeUsage: bad flags and files give one line and exit 2.
func TestServeUsage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yml")
	if err := os.WriteFile(bad, []byte("modules:\n  default:\n    tls: implicit\n    passwd_file: /x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "good.yml")
	if err := os.WriteFile(good, []byte("modules:\n  default: {}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"serve"}, "imapprobe serve: --config FILE is required: a YAML file with a modules: section (see README.md)\n"},
		{[]string{"serve", "--config"}, "imapprobe serve: --config needs a value; run imapprobe serve --help\n"},
		{[]string{"serve", "--nope"}, "imapprobe serve: unknown flag --nope; run imapprobe serve --help\n"},
		{[]string{"serve", "--config", good, "imaps://h"}, "imapprobe serve: unexpected argument \"imaps://h\"; targets come with each /probe request\n"},
		{[]string{"serve", "--config", good, "--max-concurrent", "0"}, "imapprobe serve: --max-concurrent 0: want 1 or more\n"},
		{[]string{"serve", "--config", good, "--log-level", "loud"}, "imapprobe serve: --log-level \"loud\": want debug, info, warn or error\n"},
		{[]string{"serve", "--config", filepath.Join(dir, "none.yml")}, "imapprobe serve: cannot read the configuration: open " + filepath.Join(dir, "none.yml") + ": no such file or directory\n"},
		{[]string{"serve", "--config", bad}, "imapprobe serve: " + bad + ": line 4: unknown key \"passwd_file\": valid keys are tls, port, ca_file, insecure_skip_verify, server_name, auth, user, mailbox, select, quit_after, timeout, step_timeout, slow, expiry_warning, max_fetch, allow_plaintext_auth, allow_weak_tls, strict, password_file, password_env, token_file, token_env, token_cmd, users\n"},
		{[]string{"serve", "--config", good, "--listen", "127.0.0.1:99999"}, "imapprobe serve: --listen 127.0.0.1:99999: listen tcp: address 99999: invalid port\n"},
	}
	for _, c := range cases {
		var out, errOut bytes.Buffer
		code := run(c.args, func(string) string { return "" }, strings.NewReader(""), &out, &errOut)
		if code != prober.ExitUsage || errOut.String() != c.want || out.Len() != 0 {
			t.Errorf("%q: exit %d, stderr %q, stdout %q\nwant exit 2, stderr %q", c.args, code, errOut.String(), out.String(), c.want)
		}
	}
	var out bytes.Buffer
	if code := run([]string{"serve", "--help"}, func(string) string { return "" }, strings.NewReader(""), &out, io.Discard); code != 0 || !strings.HasPrefix(out.String(), "usage: imapprobe serve --config FILE") {
		t.Errorf("--help: exit %d\n%s", code, out.String())
	}
}

// lockedBuffer collects a child's stderr while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestServeProcess runs imapprobe serve as a process: a probe through it,
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
	cmd := exec.Command(binary(t), "serve", "--listen", addr, "--config", cfg, "--log-level", "debug")
	cmd.Env = []string{"IMAP_PW=" + password}
	var stderr lockedBuffer
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
