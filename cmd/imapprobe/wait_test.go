package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/imapprobe/imapprobe/internal/testkit"
)

// TestWaitUntilCleared: --wait retries while the certificate is expired
// and succeeds once a test clears the fault through the fake's control
// API mid-wait.
func TestWaitUntilCleared(t *testing.T) {
	t.Parallel()
	srv := fake(t, "cert:expired")
	ctl := httptest.NewServer(srv.ControlHandler())
	t.Cleanup(ctl.Close)
	ca := caBundle(t, srv)
	env := func(k string) string {
		return map[string]string{"IMAPPROBE_PASSWORD": fakePassword, "LANG": "C.UTF-8"}[k]
	}
	var out bytes.Buffer
	var errOut testkit.Buffer
	done := make(chan int, 1)
	began := time.Now()
	go func() {
		done <- run([]string{"--ca-file", ca, "--wait", "30s", "--interval", "100ms", srv.URL()}, env, strings.NewReader(""), &out, &errOut)
	}()
	errOut.WaitFor(t, "imapprobe: attempt 2: ")
	req, _ := http.NewRequest(http.MethodDelete, ctl.URL+"/faults", nil)
	req.Header.Set("X-Imapprobe-Control", "1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("DELETE /faults: %s", resp.Status)
	}
	var code int
	select {
	case code = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("--wait did not end 20 s after the fault was cleared")
	}
	elapsed := time.Since(began)
	lines := strings.Split(strings.TrimSuffix(errOut.String(), "\n"), "\n")
	failed := regexp.MustCompile(`^imapprobe: attempt (\d+): ` + regexp.QuoteMeta(srv.URL()) + ` \(TLS implicit\) FAIL at tls \(tls\.cert_expired\) after \S+; exit 4$`)
	passed := regexp.MustCompile(`^imapprobe: attempt (\d+): ` + regexp.QuoteMeta(srv.URL()) + ` \(TLS implicit\) OK after \S+; exit 0$`)
	// two failures seen before the clear; the one in flight then may fail
	// too; a slow machine may fit a few more between WaitFor and DELETE
	if code != 0 || len(lines) < 3 || len(lines) > 8 {
		t.Fatalf("exit %d after %s, %d attempts; want 0 after 3 to 8:\n%s", code, elapsed, len(lines), errOut.String())
	}
	for i, l := range lines {
		re := failed
		if i == len(lines)-1 {
			re = passed
		}
		m := re.FindStringSubmatch(l)
		if m == nil || m[1] != strconv.Itoa(i+1) {
			t.Errorf("line %d %q, want %s with attempt %d", i+1, l, re, i+1)
		}
	}
	if !strings.HasSuffix(out.String(), "; exit 0\n") || !strings.Contains(out.String(), "✓ logout") {
		t.Errorf("stdout %q, want the last attempt's full report", out.String())
	}
	if strings.Contains(out.String()+errOut.String(), fakePassword) {
		t.Error("the output holds the password")
	}
}

// TestWaitGivesUp: a fault that never clears ends with the last
// attempt's exit code once --wait passes, after a bounded number of
// attempts.
func TestWaitGivesUp(t *testing.T) {
	t.Parallel()
	srv := fake(t, "cert:expired")
	began := time.Now()
	r := invoke([]string{"--ca-file", caBundle(t, srv), "--wait", "1s", "--interval", "200ms", "--json", srv.URL()}, pwEnv)
	elapsed := time.Since(began)
	attempts := strings.Count(r.stderr, ": attempt ")
	// attempts start at 0, 200, ..., 1000 ms at most: 6; at least 2 even on a slow machine
	if r.code != 4 || attempts < 2 || attempts > 6 || elapsed > 10*time.Second {
		t.Errorf("exit %d, %d attempts in %s; want 4, 2 to 6 attempts:\n%s", r.code, attempts, elapsed, r.stderr)
	}
	if !strings.Contains(r.stderr, "imapprobe: gave up after "+strconv.Itoa(attempts)+" attempts: --wait 1s passed\n") {
		t.Errorf("stderr lacks the give-up line:\n%s", r.stderr)
	}
	if !strings.Contains(r.stdout, `"code": "tls.cert_expired"`) {
		t.Errorf("stdout %q, want the last report as JSON", r.stdout)
	}
}

// TestPipelineInterrupted: Ctrl-C (a cancelled context) ends a batch, a
// --wait loop and a Nagios check at once, with 130 (Nagios: UNKNOWN 3)
// rather than a timeout blamed on the servers.
func TestPipelineInterrupted(t *testing.T) {
	t.Parallel()
	silent := fake(t, "greeting:silence")
	ca := caBundle(t, silent)
	cases := []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"batch", []string{silent.URL(), silent.URL()}, exitInterrupted, "2 targets: 0 ok, 0 with warnings, 2 failed; exit 130\n"},
		{"wait", []string{"--wait", "1m", silent.URL()}, exitInterrupted, "; exit 130\n"},
		{"nagios", []string{"--format", "nagios", silent.URL()}, 3, "IMAP UNKNOWN - interrupted before the probe finished\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			env := func(k string) string {
				return map[string]string{"IMAPPROBE_PASSWORD": fakePassword, "LANG": "C.UTF-8"}[k]
			}
			cfg, err := parseArgs(context.Background(), append([]string{"--ca-file", ca}, c.args...), env, strings.NewReader(""), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			time.AfterFunc(300*time.Millisecond, cancel)
			var out, errOut bytes.Buffer
			began := time.Now()
			code := runPipeline(ctx, cfg, env, &out, &errOut)
			if took := time.Since(began); code != c.code || took > 3*time.Second || !strings.HasSuffix(out.String(), c.out) {
				t.Errorf("exit %d after %s, stdout %q; want %d at once, ending %q", code, took, out.String(), c.code, c.out)
			}
		})
	}
}
