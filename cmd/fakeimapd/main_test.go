package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/imapprobe/imapprobe/internal/testkit"
)

// The commands the tests run as child processes; TestMain removes them.
var (
	fakeimapdBin = &testkit.Binary{Pkg: "."}
	imapprobeBin = &testkit.Binary{Pkg: "../imapprobe"}
)

func TestMain(m *testing.M) {
	code := m.Run()
	fakeimapdBin.Remove()
	imapprobeBin.Remove()
	os.Exit(code)
}

type daemon struct {
	cmd    *exec.Cmd
	ready  ready
	line   string // the ready line as printed
	stderr *testkit.Buffer
}

func startDaemon(t *testing.T, env []string, args ...string) *daemon {
	t.Helper()
	cmd := exec.Command(fakeimapdBin.Path(t), args...)
	cmd.Env = append(os.Environ(), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	d := &daemon{cmd: cmd, stderr: &testkit.Buffer{}}
	cmd.Stderr = d.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	lines := make(chan string, 1)
	go func() {
		l, _ := bufio.NewReader(stdout).ReadString('\n')
		lines <- l
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case l := <-lines:
		d.line = l
		if err := json.Unmarshal([]byte(l), &d.ready); err != nil {
			t.Fatalf("ready line %q: %v; stderr: %s", l, err, d.stderr)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("no ready line; stderr: %s", d.stderr)
	}
	return d
}

// TestControlAPIChangesNextConnection drives the built binary: a fault set
// through the control API applies to the next connection.
func TestControlAPIChangesNextConnection(t *testing.T) {
	t.Parallel()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	d := startDaemon(t, []string{"FAKEIMAPD_USERS=alice:canary-d41f"},
		"--mode", "plaintext", "--listen", "127.0.0.1:0", "--control", "127.0.0.1:0", "--ca-out", caFile)
	base := "http://" + d.ready.Control
	if !strings.HasPrefix(testkit.Greeting(t, d.ready.Addr), "* OK [CAPABILITY ") {
		t.Fatal("bad first greeting")
	}

	resp, err := controlPost(base+"/faults", "greeting:smtp\n")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Contains(body, []byte(`"spec": "greeting:smtp"`)) {
		t.Fatalf("POST /faults: %d %s", resp.StatusCode, body)
	}
	if g := testkit.Greeting(t, d.ready.Addr); g != "220 mail.example ESMTP Postfix\r\n" {
		t.Fatalf("greeting after POST %q", g)
	}

	req, _ := http.NewRequest(http.MethodPut, base+"/faults", strings.NewReader(`["greeting:pop3"]`))
	req.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("PUT /faults: %v %v", resp, err)
	}
	resp.Body.Close()
	if g := testkit.Greeting(t, d.ready.Addr); !strings.HasPrefix(g, "+OK POP3") {
		t.Fatalf("greeting after PUT %q", g)
	}

	resp, err = controlPost(base+"/faults", "delay:NOPE=1s\n")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(body), `unknown command "NOPE"`) {
		t.Fatalf("bad spec: %d %s", resp.StatusCode, body)
	}

	req, _ = http.NewRequest(http.MethodDelete, base+"/faults", nil)
	req.Header.Set("X-Imapprobe-Control", "1")
	resp, err = http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("DELETE /faults: %v %v", resp, err)
	}
	resp.Body.Close()
	if !strings.HasPrefix(testkit.Greeting(t, d.ready.Addr), "* OK [CAPABILITY ") {
		t.Fatal("faults not cleared")
	}

	resp, err = http.Get(base + "/connections")
	if err != nil {
		t.Fatal(err)
	}
	var recs []struct {
		ID     uint64 `json:"id"`
		Faults []struct {
			Spec string `json:"spec"`
		} `json:"faults"`
	}
	err = json.NewDecoder(resp.Body).Decode(&recs)
	resp.Body.Close()
	if err != nil || len(recs) != 4 || len(recs[1].Faults) != 1 || recs[1].Faults[0].Spec != "greeting:smtp" {
		t.Fatalf("connections %+v %v", recs, err)
	}
	if pem, err := os.ReadFile(caFile); err != nil || !bytes.HasPrefix(pem, []byte("-----BEGIN CERTIFICATE-----")) {
		t.Fatalf("--ca-out: %v", err)
	}

	// Log in with the password from the environment; it must not be logged.
	nc, err := net.Dial("tcp", d.ready.Addr)
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(nc)
	br.ReadString('\n')
	io.WriteString(nc, "a LOGIN alice canary-d41f\r\nb LOGOUT\r\n")
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if strings.HasPrefix(l, "a ") && !strings.HasPrefix(l, "a OK") {
			t.Fatalf("login: %q", l)
		}
		if strings.HasPrefix(l, "b OK") {
			break
		}
	}
	nc.Close()

	if err := d.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGINT: %v; stderr: %s", err, d.stderr)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no exit within 5s of SIGINT")
	}
	logs := d.stderr.String()
	if strings.Contains(logs, "canary-d41f") {
		t.Fatalf("password in the log:\n%s", logs)
	}
	if !strings.Contains(logs, "C: a LOGIN alice [redacted]") || !strings.Contains(logs, "shutting down") {
		t.Fatalf("log lacks the masked transcript or the shutdown:\n%s", logs)
	}
}

// controlPost POSTs text specs as the README's curl line does.
func controlPost(url, body string) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Imapprobe-Control", "1")
	return http.DefaultClient.Do(req)
}

// TestControlTokenFile: with --control-token-file, the built binary's
// control API needs the token, refuses a text POST without the header, and
// never logs the token.
func TestControlTokenFile(t *testing.T) {
	t.Parallel()
	const token = "ctl-canary-0d93"
	tokFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, nil, "--mode", "plaintext", "--control", "127.0.0.1:0", "--control-token-file", tokFile)
	base := "http://" + d.ready.Control
	tests := []struct {
		name, method, auth string
		header             bool
		want               int
		path               string // default /faults
	}{
		{"dashboard without token", "GET", "", false, 200, "/"},
		{"dashboard script without token", "GET", "", false, 200, "/ui/dashboard.js"},
		{"GET without token", "GET", "", false, 401, ""},
		{"GET wrong token", "GET", "Bearer ctl-canary-0d94", false, 401, ""},
		{"GET with token", "GET", "Bearer " + token, false, 200, ""},
		{"POST without header", "POST", "Bearer " + token, false, 403, ""},
		{"POST", "POST", "Bearer " + token, true, 200, ""},
	}
	for _, tt := range tests {
		if tt.path == "" {
			tt.path = "/faults"
		}
		req, _ := http.NewRequest(tt.method, base+tt.path, strings.NewReader("drop:FETCH"))
		if tt.auth != "" {
			req.Header.Set("Authorization", tt.auth)
		}
		if tt.header {
			req.Header.Set("X-Imapprobe-Control", "1")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.want || strings.Contains(string(body), token) {
			t.Errorf("%s: %d %q, want %d", tt.name, resp.StatusCode, body, tt.want)
		}
	}
	if strings.Contains(d.stderr.String(), token) {
		t.Fatalf("token in the log:\n%s", d.stderr)
	}
}

// TestBadInput: one line on stderr and exit code 2.
func TestBadInput(t *testing.T) {
	t.Parallel()
	bin := fakeimapdBin.Path(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--fault", "delay:BOGUS=1s"}, `fakeimapd: --fault: unknown command "BOGUS"`},
		{[]string{"--fault", "reply:SELECT=OK"}, `fakeimapd: --fault: unknown reply status "OK" in "reply:SELECT=OK"; valid: NO, BAD`},
		{[]string{"--faults-file", "/nonexistent.json"}, "fakeimapd: --faults-file: open /nonexistent.json: no such file or directory"},
		{[]string{"--scenario", "no-such"}, `fakeimapd: --scenario: unknown scenario "no-such"`},
		{[]string{"--control", "8.8.8.8:1"}, `fakeimapd: --control: listen address "8.8.8.8:1" is not loopback`},
		{[]string{"--user", "alice:secret-x", "--listen", "1.2.3.4:5", "--mode", "starttls"}, `fakeimapd: listen address "1.2.3.4:5" is not loopback`},
		{[]string{"--mode", "ssl"}, `fakeimapd: --mode: unknown mode "ssl": use tls, starttls or plaintext`},
		{[]string{"--persona", "courier"}, `fakeimapd: --persona: unknown persona "courier": use goimap, dovecot or cyrus`},
		{[]string{"--fresh-state", "user"}, `fakeimapd: --fresh-state: unknown fresh-state scope "user": use server or connection`},
		{[]string{"--restricted-mailbox", "a//b"}, `fakeimapd: --restricted-mailbox: mailbox "a//b": empty level between "/" delimiters`},
		{[]string{"--nope"}, "fakeimapd: flag provided but not defined: -nope; run fakeimapd -h for the flags"},
		{[]string{"--user", "alice=secret-x"}, "fakeimapd: --user: want NAME:SECRET, got a value without ':' (14 characters)"},
		{[]string{"--listen", "0.0.0.0:0", "--mode", "starttls"}, `fakeimapd: listen address "0.0.0.0:0" is not loopback`},
		{[]string{"--control-token-file", "/nonexistent"}, "fakeimapd: --control-token-file needs --control ADDR"},
		{[]string{"--control", "127.0.0.1:0", "--control-token-file", "/nonexistent/tok"}, "fakeimapd: --control-token-file: open /nonexistent/tok: no such file or directory"},
		{[]string{"--control", "127.0.0.1:0", "--control-token-file", "/dev/null"}, "fakeimapd: --control-token-file: /dev/null is empty: write a token in it"},
		{[]string{"--control", "127.0.0.1:0", "--control-token-file", "/dev/zero"}, "fakeimapd: --control-token-file: /dev/zero is over 4096 bytes"},
		{[]string{"--upstream", "http://127.0.0.1:1"}, `fakeimapd: --upstream "http://127.0.0.1:1": scheme "http": want imaps:// (implicit TLS) or imap:// (STARTTLS)`},
		{[]string{"--upstream", "imaps://127.0.0.1:1", "--persona", "dovecot"}, "fakeimapd: --upstream and --persona exclude each other"},
		{[]string{"--upstream-insecure"}, "fakeimapd: --upstream-ca and --upstream-insecure need --upstream URL"},
		{[]string{"--replay", "x.rec", "--upstream", "imaps://127.0.0.1:1"}, "fakeimapd: --upstream does not apply to --replay"},
		{[]string{"--upstream", "imaps://127.0.0.1:1", "--upstream-ca", "/nonexistent.pem"}, "fakeimapd: --upstream-ca: open /nonexistent.pem: no such file or directory"},
		{[]string{"--upstream", "imaps://127.0.0.1:1", "--upstream-ca", "/dev/null"}, "fakeimapd: --upstream-ca /dev/null: no PEM certificate in it"},
		{[]string{"--record", "/tmp"}, "fakeimapd: --record DIR needs --upstream URL: it records the sessions the proxy passes on"},
		{[]string{"--upstream", "imaps://127.0.0.1:1", "--record", "/dev/null"}, "fakeimapd: --record /dev/null: not a directory"},
		{[]string{"--upstream", "imaps://127.0.0.1:1", "--record", "/dev/null/sub"}, "fakeimapd: --record: mkdir /dev/null: not a directory"},
		{[]string{"--replay", "x.rec", "--record", "/tmp"}, "fakeimapd: --record does not apply to --replay"},
		{[]string{"--scenario", "gmail-app-password", "--fault", "drop:FETCH"}, "fakeimapd: --fault does not apply to --scenario gmail-app-password, a recording served as it is"},
		{[]string{"--scenario", "wrong-password", "--replay-timing"}, "fakeimapd: --replay-timing needs --replay FILE (or --scenario NAME of a recording)"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(bin, tt.args...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			exit, ok := err.(*exec.ExitError)
			if !ok || exit.ExitCode() != 2 {
				t.Fatalf("exit %v, want 2; stderr %s", err, stderr.String())
			}
			out := stderr.String()
			if strings.Count(out, "\n") != 1 || !strings.HasPrefix(out, tt.want) || strings.Contains(out, "secret-x") || strings.Contains(out, "faults: ") {
				t.Fatalf("stderr %q, want one line starting %q", out, tt.want)
			}
		})
	}
}
