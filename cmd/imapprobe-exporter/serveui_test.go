package main

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/faults"
	"github.com/imapprobe/imapprobe/internal/liveui"
	"github.com/imapprobe/imapprobe/internal/testkit"
	"github.com/imapprobe/imapprobe/prober"
)

// TestServeUIUsage: the page's flags; a page on the network without a
// token is one line and exit 2, and no error quotes the token.
func TestServeUIUsage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yml")
	empty := filepath.Join(dir, "empty")
	big := filepath.Join(dir, "big")
	for name, body := range map[string]string{good: "modules:\n  default: {}\n", empty: "\n", big: strings.Repeat("t", maxUITokenFile+1)} {
		if err := os.WriteFile(name, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--ui-listen", "0.0.0.0:0"}, "imapprobe serve: --ui-listen 0.0.0.0:0 is not a loopback address: anyone who can reach it could probe through this server; add --ui-token-file FILE, or listen on 127.0.0.1\n"},
		{[]string{"--ui-listen", ":9954"}, "imapprobe serve: --ui-listen :9954 is not a loopback address: anyone who can reach it could probe through this server; add --ui-token-file FILE, or listen on 127.0.0.1\n"},
		{[]string{"--ui-token-file", empty}, "imapprobe serve: --ui-token-file needs --ui or --ui-listen ADDR\n"},
		{[]string{"--ui", "--ui-token-file", empty}, "imapprobe serve: --ui-token-file " + empty + " holds no token on its first line\n"},
		{[]string{"--ui-listen", "0.0.0.0:0", "--ui-token-file", big}, "imapprobe serve: --ui-token-file " + big + " is over 4096 bytes: want one line, the token\n"},
		{[]string{"--ui-listen", "127.0.0.1:99999"}, "imapprobe serve: --ui-listen 127.0.0.1:99999: bad port \"99999\": use 1-65535 (0 picks a free one)\n"},
		{[]string{"--ui-listen", "localhost"}, "imapprobe serve: --ui-listen localhost is not HOST:PORT: write e.g. 127.0.0.1:9954 or [::1]:9954\n"},
		{[]string{"--ui-listen", "0.0.0.0:http", "--ui-token-file", big}, "imapprobe serve: --ui-listen 0.0.0.0:http: bad port \"http\": use 1-65535 (0 picks a free one)\n"},
	} {
		var out, errOut bytes.Buffer
		// A cancelled context: a check that failed to refuse ends the
		// server at once, and the test fails on exit 0 instead of hanging.
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		args := append([]string{"--config", good, "--listen", "127.0.0.1:0"}, c.args...)
		code := runServe(ctx, args, func(string) string { return "" }, &out, &errOut)
		if code != prober.ExitUsage || errOut.String() != c.want || out.Len() != 0 {
			t.Errorf("%q: exit %d, stderr %q\nwant exit 2, stderr %q", c.args, code, errOut.String(), c.want)
		}
	}
}

// TestServeUIResolve: --ui means loopback; a token lets the page listen
// anywhere.
func TestServeUIResolve(t *testing.T) {
	t.Parallel()
	tok := filepath.Join(t.TempDir(), "tok")
	if err := os.WriteFile(tok, []byte("s3cret-page-token\nignored\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		f           uiFlags
		addr, token string
	}{
		{uiFlags{}, "", ""},
		{uiFlags{on: true}, "127.0.0.1:9954", ""},
		{uiFlags{listen: "[::1]:0"}, "[::1]:0", ""},
		{uiFlags{on: true, listen: "localhost:8080"}, "localhost:8080", ""},
		{uiFlags{listen: ":9954", tokenFile: tok}, ":9954", "s3cret-page-token"},
	} {
		addr, token, err := c.f.resolve()
		if err != nil || addr != c.addr || token != c.token {
			t.Errorf("%+v: %q %q %v, want %q %q", c.f, addr, token, err, c.addr, c.token)
		}
	}
}

// TestServeUIProbe: imapprobe serve --ui-listen serves the page; a probe
// POSTed through it fails at select with the fault's code, and the
// password is in neither the answer nor the server's log.
func TestServeUIProbe(t *testing.T) {
	t.Parallel()
	const canary = "Serve-ui-canary-pw-0d15ea5e"
	fake := fakeserver.New(t, fakeserver.WithUser("alice", canary),
		fakeserver.WithFaults(faults.MustParse("reply:EXAMINE=NO [NONEXISTENT] no such mailbox")))
	cfg := filepath.Join(t.TempDir(), "c.yml")
	if err := os.WriteFile(cfg, []byte("modules:\n  default: {}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	logs := &testkit.Buffer{}
	done := make(chan int, 1)
	go func() {
		done <- runServe(ctx, []string{"--config", cfg, "--listen", "127.0.0.1:0", "--ui-listen", "127.0.0.1:0"}, func(string) string { return "" }, io.Discard, logs)
	}()
	defer func() {
		cancel()
		if code := <-done; code != prober.ExitOK {
			t.Errorf("serve exited %d", code)
		}
		if strings.Contains(logs.String(), canary) {
			t.Errorf("the log holds the password:\n%s", logs.String())
		}
	}()
	page := regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+)/ui`)
	var base string
	for deadline := time.Now().Add(5 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := page.FindStringSubmatch(logs.String()); m != nil {
			base = m[1]
		}
	}
	if base == "" {
		t.Fatalf("no page URL in the log:\n%s", logs.String())
	}
	resp, err := http.Get(base + "/ui")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Security-Policy") != liveui.Policy {
		t.Fatalf("GET /ui: %d, CSP %q", resp.StatusCode, resp.Header.Get("Content-Security-Policy"))
	}

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField(liveui.FieldURL, "imaps://alice@"+fake.Addr()+"/INBOX")
	mw.WriteField(liveui.FieldSecret, canary)
	fw, _ := mw.CreateFormFile(liveui.FieldCA, "ca.pem")
	fw.Write(fake.CACertPEM())
	mw.Close()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/ui/probe", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set(liveui.Header, "1")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(got), "event: result\ndata: {") || !strings.Contains(string(got), `"code":"mailbox.not_found"`) {
		t.Errorf("POST /ui/probe: %d\n%.400s", resp.StatusCode, got)
	}
	if bytes.Contains(got, []byte(canary)) {
		t.Errorf("the answer holds the password")
	}
	if !strings.Contains(logs.String(), `msg="ui probe"`) || !strings.Contains(logs.String(), "code=mailbox.not_found") {
		t.Errorf("the log does not record the probe:\n%s", logs.String())
	}
}
