package main

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const gmailRec = "../../scenarios/recordings/gmail-app-password.rec"

// TestReplayGmail drives both binaries: imapprobe against fakeimapd
// --replay of the Gmail recording gets its auth.failed and the alert,
// and no log line holds the password.
func TestReplayGmail(t *testing.T) {
	t.Parallel()
	const canary = "canary-replay-pw-91Xq"
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	d := startDaemon(t, nil, "--replay", gmailRec, "--ca-out", caFile)
	if !strings.HasPrefix(d.ready.URL, "imaps://alice%40gmail.example@127.0.0.1:") {
		t.Fatalf("ready URL %q", d.ready.URL)
	}
	cmd := exec.Command(imapprobeBin.Path(t), d.ready.URL, "--ca-file", caFile, "--timeout", "5s")
	cmd.Env = append(os.Environ(), "IMAPPROBE_PASSWORD="+canary)
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 6 {
		t.Fatalf("imapprobe: %v\n%s", err, out)
	}
	for _, want := range []string{"✗ auth.failed", "Application-specific password required"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}

	// a command the recording lacks: a BAD naming it, and a log line
	pem, _ := os.ReadFile(caFile)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	c, err := tls.Dial("tcp", d.ready.Addr, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(c)
	if g, _ := br.ReadString('\n'); g != "* OK Gimap ready for requests from 203.0.113.5 x1mb123456789wrb\r\n" {
		t.Errorf("greeting %q", g)
	}
	_, _ = c.Write([]byte("x7 NOOP\r\n"))
	if l, _ := br.ReadString('\n'); l != "x7 BAD [replay] no recorded response for NOOP\r\n" {
		t.Errorf("NOOP answered %q", l)
	}
	_, _ = c.Write([]byte("x8 CAPABILITY\r\n"))
	br.ReadString('\n')
	if l, _ := br.ReadString('\n'); l != "x8 OK Thats all she wrote! x1mb123456789wrb\r\n" {
		t.Errorf("CAPABILITY retagged as %q", l)
	}
	d.stderr.WaitFor(t, "no recorded response for NOOP")
	if strings.Contains(d.stderr.String(), canary) {
		t.Errorf("the log holds the password:\n%s", d.stderr)
	}
}

// TestReplayUsageErrors: a bad --replay is one line and exit 2.
func TestReplayUsageErrors(t *testing.T) {
	t.Parallel()
	bad := filepath.Join(t.TempDir(), "bad.rec")
	if err := os.WriteFile(bad, []byte("# imapprobe recording v1\ntls implicit\nS soon * OK\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--replay", bad}, "fakeimapd: --replay " + bad + ": recording line 3: time \"soon\": want decimal seconds such as 0.012500\n"},
		{[]string{"--replay", gmailRec, "--fault", "drop:FETCH"}, "fakeimapd: --fault does not apply to --replay, which serves the recording as it is\n"},
		{[]string{"--replay-timing"}, "fakeimapd: --replay-timing needs --replay FILE (or --scenario NAME of a recording)\n"},
		{[]string{"--replay", filepath.Join(t.TempDir(), "none.rec")}, "fakeimapd: --replay: open "},
	} {
		var out, errOut strings.Builder
		code := run(t.Context(), tc.args, func(string) string { return "" }, &out, &errOut)
		if code != 2 || !strings.HasPrefix(errOut.String(), tc.want) || strings.Count(errOut.String(), "\n") != 1 {
			t.Errorf("%q: exit %d, stderr %q, want %q", tc.args, code, errOut.String(), tc.want)
		}
	}
}
