package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/prober"
	"github.com/imapprobe/imapprobe/scenarios"
)

// testProbeServer is a fake as fakeimapd --scenario starts it, at fixed
// addresses so that command lines can be compared exactly.
func testProbeServer(t *testing.T, sc scenarios.Scenario) probeServer {
	t.Helper()
	mode, err := fakeserver.ParseMode(sc.Server.ModeName())
	if err != nil {
		t.Fatal(err)
	}
	ps := probeServer{mode: mode, user: "alice", password: "pw-1", token: "tok-1",
		closedPort: func() (string, error) { return "127.0.0.1:9", nil }}
	if mode == fakeserver.ModeImplicitTLS {
		ps.tlsAddr = "127.0.0.1:1993"
	} else {
		ps.plainAddr = "127.0.0.1:1143"
	}
	return ps
}

// TestProbeCommand: the exact imapprobe command line printed for
// scenarios that need probe-side settings, and the files it names.
func TestProbeCommand(t *testing.T) {
	t.Parallel()
	const d = "/run/fi"
	tests := []struct {
		scenario, want string
		files          map[string]string // path -> content; ca.pem holds "CA"
		sideOnly       string
	}{
		{scenario: "mailbox-renamed", want: "imap://alice@127.0.0.1:1143/Archives --password-file /run/fi/password --ca-file /run/fi/ca.pem",
			files: map[string]string{d + "/password": "pw-1\n", d + "/ca.pem": "CA"}},
		{scenario: "server-down", want: "imap://alice@127.0.0.1:9/INBOX --password-file /run/fi/password --ca-file /run/fi/ca.pem"},
		{scenario: "dns-typo", want: "imap://alice@imap.imapprobe.invalid:1143/INBOX --password-file /run/fi/password --ca-file /run/fi/ca.pem"},
		{scenario: "wrong-password", want: "imap://alice@127.0.0.1:1143/INBOX --password-file /run/fi/password --ca-file /run/fi/ca.pem",
			files: map[string]string{d + "/password": "wrong-pw-1\n", d + "/ca.pem": "CA"}},
		{scenario: "healthy-oauthbearer", want: "imaps://alice@127.0.0.1:1993/INBOX --auth oauthbearer --token-file /run/fi/token --ca-file /run/fi/ca.pem",
			files: map[string]string{d + "/token": "tok-1\n", d + "/ca.pem": "CA"}},
		{scenario: "xoauth2-token-expired", want: "imap://alice@127.0.0.1:1143/INBOX --auth xoauth2 --token-file /run/fi/token --ca-file /run/fi/ca.pem",
			files: map[string]string{d + "/token": "wrong-tok-1\n", d + "/ca.pem": "CA"}},
		{scenario: "cert-untrusted-ca", want: "imaps://alice@127.0.0.1:1993/INBOX --password-file /run/fi/password",
			files: map[string]string{d + "/password": "pw-1\n"}},
		{scenario: "cert-expired-skip-verify", want: "imaps://alice@127.0.0.1:1993/INBOX --password-file /run/fi/password --ca-file /run/fi/ca.pem --insecure-skip-verify"},
		{scenario: "plaintext-login-refused", want: "imap://alice@127.0.0.1:1143/INBOX --tls none --password-file /run/fi/password --allow-plaintext-auth",
			files: map[string]string{d + "/password": "pw-1\n"}},
		{scenario: "tls-to-plaintext-port", want: "imaps://alice@127.0.0.1:1143/INBOX --password-file /run/fi/password --ca-file /run/fi/ca.pem"},
		{scenario: "plaintext-to-993", want: "imap://alice@127.0.0.1:1993/INBOX --tls none --password-file /run/fi/password --timeout 800ms"},
		{scenario: "tls-legacy-allowed", want: "imaps://alice@127.0.0.1:1993/INBOX --password-file /run/fi/password --ca-file /run/fi/ca.pem --allow-weak-tls"},
		{scenario: "mailbox-read-only", want: "imap://alice@127.0.0.1:1143/INBOX --password-file /run/fi/password --ca-file /run/fi/ca.pem --select"},
		{scenario: "capability-slow", want: "imap://alice@127.0.0.1:1143/INBOX --password-file /run/fi/password --ca-file /run/fi/ca.pem --slow 600ms"},
		{scenario: "healthy-login", want: "imap://alice@127.0.0.1:1143/INBOX --auth login --password-file /run/fi/password --ca-file /run/fi/ca.pem"},
		{scenario: "healthy-connection-only", want: "imap://alice@127.0.0.1:1143/INBOX --ca-file /run/fi/ca.pem --quit-after capability",
			files: map[string]string{d + "/ca.pem": "CA"}},
		{scenario: "no-credentials", sideOnly: "imapprobe refuses to run without credentials (exit 2) before it connects; the prober library, called with none, reports auth.no_credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			sc, err := scenarios.Find(tt.scenario)
			if err != nil {
				t.Fatal(err)
			}
			args, files, err := probeCommand(sc, testProbeServer(t, sc), []byte("CA"), d)
			if tt.sideOnly != "" {
				var side probeSideOnly
				if !errors.As(err, &side) || side.reason != tt.sideOnly || args != nil {
					t.Fatalf("got %q, %v; want probe-side only: %s", args, err, tt.sideOnly)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := shellJoin(args); got != tt.want {
				t.Errorf("command\n got imapprobe %s\nwant imapprobe %s", got, tt.want)
			}
			if tt.files != nil {
				got := map[string]string{}
				for _, f := range files {
					got[f.path] = string(f.data)
					if want := map[bool]os.FileMode{true: 0o644, false: 0o600}[strings.HasSuffix(f.path, ".pem")]; f.perm != want {
						t.Errorf("%s mode %v, want %v", f.path, f.perm, want)
					}
				}
				if js, wjs := jsonOf(got), jsonOf(tt.files); js != wjs {
					t.Errorf("files %s, want %s", js, wjs)
				}
			}
		})
	}
}

func jsonOf(v any) string { b, _ := json.Marshal(v); return string(b) }

// TestProbeCommandEveryScenario: every scenario of the matrix gets a
// command or a reason, and a missing port is named with the flag to add.
func TestProbeCommandEveryScenario(t *testing.T) {
	t.Parallel()
	for _, sc := range scenarios.All() {
		args, _, err := probeCommand(sc, testProbeServer(t, sc), []byte("CA"), "/run/fi")
		var side probeSideOnly
		if err != nil && !errors.As(err, &side) || err == nil && len(args) == 0 {
			t.Errorf("%s: %q %v", sc.Name, args, err)
		}
	}
	sc, _ := scenarios.Find("tls-to-plaintext-port")
	ps := testProbeServer(t, sc)
	ps.plainAddr = ""
	if _, _, err := probeCommand(sc, ps, nil, "/run/fi"); err == nil || err.Error() != "the scenario probes fakeimapd's plain port: add --listen 127.0.0.1:0" {
		t.Fatalf("missing port: %v", err)
	}
}

// TestScenarioCommandReproduces runs the built fakeimapd with --scenario,
// then the imapprobe command it printed, exactly, and checks that the
// probe gives the scenario's diagnosis.
func TestScenarioCommandReproduces(t *testing.T) {
	t.Parallel()
	probe := imapprobeBin.Path(t)
	for _, name := range []string{"mailbox-renamed", "server-down", "dns-typo", "wrong-password", "healthy-oauthbearer",
		"cert-untrusted-ca", "plaintext-login-refused", "tls-to-plaintext-port", "mailbox-read-only",
		"gmail-app-password", "dovecot-fetch-cut", "dovecot-acl-denied"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sc, err := scenarios.Find(name)
			if err != nil {
				t.Fatal(err)
			}
			d := startDaemon(t, nil, "--scenario", name, "--quiet")
			line := d.ready.ProbeCommand
			d.stderr.WaitFor(t, "\n    "+line+"\n") // copied from a pipe: it may trail the ready line
			args := strings.Fields(line)
			if len(args) < 2 || args[0] != "imapprobe" || strings.Contains(line, "'") {
				t.Fatalf("command %q", line)
			}
			cmd := exec.Command(probe, append(args[1:], "--json")...)
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			runErr := cmd.Run()
			var rep prober.Report
			if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
				t.Fatalf("%s: %v (%v); stdout %s stderr %s", line, err, runErr, stdout.String(), stderr.String())
			}
			got := scenarios.OutcomeOf(&rep).Want
			if jsonOf(got) != jsonOf(sc.Want) {
				t.Fatalf("%s\ngave %+v, want %+v", line, got, sc.Want)
			}
			if rep.Result == nil || cmd.ProcessState.ExitCode() != rep.Result.ExitCode {
				t.Fatalf("exit %d, report result %+v", cmd.ProcessState.ExitCode(), rep.Result)
			}
		})
	}
}
