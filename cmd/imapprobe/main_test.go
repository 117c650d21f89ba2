package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"github.com/imapprobe/imapprobe/internal/testkit"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/imapprobe/imapprobe/prober"
	pt "github.com/imapprobe/imapprobe/prober/probertest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(int) { imapprobeBin.Remove(); exporterBin.Remove(); demoBin.Remove() }))
}

type result struct {
	code           int
	stdout, stderr string
}

// invoke runs the command in a UTF-8 locale unless env names one.
func invoke(args []string, env map[string]string) result {
	var out, errOut bytes.Buffer
	code := run(args, testkit.UTF8Env(env), strings.NewReader(""), &out, &errOut)
	return result{code, out.String(), errOut.String()}
}

func caFile(t *testing.T) string {
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, pt.PKI(t).CA.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	cases := [][]string{
		{},
		{"mail.example.com"},
		{"pop3://alice@mail.example.com"},
		{"imaps://alice:secret@mail.example.com/INBOX"},
		{"imaps://alice@mail.example.com:99999/INBOX"},
		{"--bogus", "imaps://alice@mail.example.com"},
		{"--tls", "sometimes", "--host", "mail.example.com"},
		{"--auth", "kerberos", "imaps://alice@mail.example.com"},
		{"--auth", "xoauth2", "imaps://alice@mail.example.com"},
		{"--timeout", "soon", "imaps://alice@mail.example.com"},
		{"--timeout", "-1s", "imaps://alice@mail.example.com"},
		{"--max-fetch", "lots", "imaps://alice@mail.example.com"},
		{"--connect-addr", "not-an-ip", "imaps://alice@mail.example.com"},
		{"--source-addr", "nowhere", "imaps://alice@mail.example.com"},
		{"--ca-file", "/nonexistent/ca.pem", "imaps://alice@mail.example.com"},
		{"--password-file", "/nonexistent/pw", "imaps://alice@mail.example.com"},
		{"imaps://a@x.example", "imaps://b@y.example"},
		{"--host", "x.example", "imaps://b@y.example"},
		{"--token-cmd", "exit 3", "--auth", "oauthbearer", "imaps://alice@mail.example.com"},
		{"--timeout", "5", "imaps://alice@mail.example.com"},
		{"--port", "abc", "--host", "mail.example.com"},
		{"-v=maybe", "imaps://alice@mail.example.com"},
		{"--host", "127.0.0.1:993"},
		{"--host", "[::1]:993"},
		{"--host", "mail example.com"},
		{"--host", "alice@mail.example.com"},
		{"--source-addr", "abc", "imaps://alice@mail.example.com"},
		{"--source-addr", "1.2.3.4.5", "imaps://alice@mail.example.com"},
		{"--password-file", os.DevNull, "imaps://alice@mail.example.com"},
		{"--token-file", os.DevNull, "imaps://alice@mail.example.com"},
		{"--password=", "imaps://alice@mail.example.com"},
	}
	for _, args := range cases {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			r := invoke(args, nil)
			if r.code != prober.ExitUsage {
				t.Errorf("exit %d, want 2", r.code)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing", r.stdout)
			}
			if lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], "imapprobe: ") || len(lines[0]) < 30 {
				t.Errorf("stderr %q, want one clear line", r.stderr)
			}
			// the flag package's own wording: single-dash names, "parse error"
			if regexp.MustCompile(`parse error|(^|\s)-[a-z]{2,}|not defined`).MatchString(r.stderr) {
				t.Errorf("stderr %q: say --flag and what it wants", r.stderr)
			}
		})
	}
}

func TestHelpIsComplete(t *testing.T) {
	t.Parallel()
	r := invoke([]string{"--help"}, nil)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	src, err := os.ReadFile("flags.go")
	if err != nil {
		t.Fatal(err)
	}
	more, err := os.ReadFile("batch.go") // the pipeline flags
	if err != nil {
		t.Fatal(err)
	}
	src = append(src, more...)
	flags := regexp.MustCompile(`fs\.\w+Var\(&?[\w.]+, "([\w-]+)"`).FindAllStringSubmatch(string(src), -1)
	if len(flags) < 25 {
		t.Fatalf("found only %d flags in main.go", len(flags))
	}
	for _, f := range flags {
		dash := "--"
		if len(f[1]) == 1 {
			dash = "-"
		}
		if !strings.Contains(r.stdout, dash+f[1]+" ") && !strings.Contains(r.stdout, dash+f[1]+",") {
			t.Errorf("--help does not document %s%s", dash, f[1])
		}
	}
	for _, want := range []string{"IMAPPROBE_PASSWORD", "IMAPPROBE_TOKEN", "NO_COLOR", "imapprobe demo", "Exit codes", "9 other server misbehaviour", "--html FILE"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("--help lacks %q", want)
		}
	}
}

func TestTextReport(t *testing.T) {
	t.Parallel()
	srv := (&pt.Server{Pass: "pw", Implicit: tlsConfig(t)}).Start(t)
	url := fmt.Sprintf("imaps://alice@127.0.0.1:%d/INBOX", srv.Port())
	r := invoke([]string{url, "--ca-file", caFile(t), "-v"}, map[string]string{"IMAPPROBE_PASSWORD": "pw"})
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"✓ resolve", "✓ tls", "TLS 1.3", "- starttls", "✓ fetch", "S: * OK ready", "AUTHENTICATE PLAIN [redacted]", "✓ auth", "PLAIN with the password", "OK after"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "\x1b[") {
		t.Errorf("colour codes written to a non-terminal")
	}

	// a failure: exit code, ✗ and the fix
	srv2 := (&pt.Server{Pass: "other", Implicit: tlsConfig(t)}).Start(t)
	url2 := fmt.Sprintf("imaps://alice@127.0.0.1:%d/INBOX", srv2.Port())
	r = invoke([]string{"--ca-file", caFile(t), url2}, map[string]string{"IMAPPROBE_PASSWORD": "pw"})
	if r.code != prober.ExitAuth || !strings.Contains(r.stdout, "✗ auth") || !strings.Contains(r.stdout, "✗ auth.failed") || !strings.Contains(r.stdout, "fix:") || !strings.Contains(r.stdout, "- list") {
		t.Errorf("exit %d:\n%s", r.code, r.stdout)
	}

	// warnings: exit 0, or 1 with --strict
	r = invoke([]string{url, "--ca-file", caFile(t), "--slow", "1ns"}, map[string]string{"IMAPPROBE_PASSWORD": "pw"})
	if r.code != 0 || !strings.Contains(r.stdout, "! ") {
		t.Errorf("exit %d:\n%s", r.code, r.stdout)
	}
	r = invoke([]string{url, "--ca-file", caFile(t), "--slow", "1ns", "--strict"}, map[string]string{"IMAPPROBE_PASSWORD": "pw"})
	if r.code != prober.ExitWarnings {
		t.Errorf("--strict exit %d", r.code)
	}
}

func TestJSONReport(t *testing.T) {
	t.Parallel()
	srv := (&pt.Server{Pass: "pw", Implicit: tlsConfig(t)}).Start(t)
	url := fmt.Sprintf("imaps://alice@127.0.0.1:%d/Nope", srv.Port())
	r := invoke([]string{"--json", "--ca-file", caFile(t), url}, map[string]string{"IMAPPROBE_PASSWORD": "pw"})
	if r.code != prober.ExitMailbox {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	var doc struct {
		Schema   string `json:"schema"`
		ExitCode *int   `json:"exit_code"`
		Steps    []struct {
			Name      string `json:"name"`
			Status    string `json:"status"`
			Diagnosis *struct {
				Code string `json:"code"`
				Hint string `json:"hint"`
			} `json:"diagnosis"`
		} `json:"steps"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if doc.Schema != prober.Schema || len(doc.Steps) != len(prober.Steps) {
		t.Fatalf("schema %q, %d steps", doc.Schema, len(doc.Steps))
	}
	if doc.ExitCode == nil || *doc.ExitCode != prober.ExitMailbox {
		t.Errorf("exit_code %v, want %d", doc.ExitCode, prober.ExitMailbox)
	}
	sel := doc.Steps[8]
	if sel.Name != "select" || sel.Status != "fail" || sel.Diagnosis == nil || sel.Diagnosis.Code != "mailbox.not_found" {
		t.Errorf("select step %+v", sel)
	}
}

// TestCanary runs unique secrets through every mechanism, every secret
// source and every failure path, and checks that no output holds them in
// any encoding.
func TestCanary(t *testing.T) {
	t.Parallel()
	stamp := fmt.Sprint(time.Now().UnixNano())
	quotedPW := "canary pw " + stamp       // forces a quoted LOGIN argument
	literalPW := "canäry-pw-" + stamp      // forces a literal LOGIN argument
	token := "canary-token-" + stamp + "x" // OAuth2 token
	user := "alice"
	var forbidden []string
	for _, secret := range []string{quotedPW, literalPW, token} {
		b64 := base64.StdEncoding.EncodeToString
		forbidden = append(forbidden, secret, b64([]byte(secret)),
			b64([]byte("\x00"+user+"\x00"+secret)),
			b64([]byte("user="+user+"\x01auth=Bearer "+secret+"\x01\x01")),
			b64([]byte("n,a="+user+",\x01auth=Bearer "+secret+"\x01\x01")),
			strings.ReplaceAll(secret, " ", "\\x20"), stamp)
	}
	ca := caFile(t)
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "pw")
	tokFile := filepath.Join(dir, "tok")
	if err := os.WriteFile(pwFile, []byte(quotedPW+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tokFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	echoBack := func(c *pt.Conv, tag, args string) bool {
		c.Send(tag + " BAD invalid arguments: " + args) // a hostile server echoing the secret
		return true
	}
	type scenario struct {
		name string
		srv  *pt.Server
		args []string
		env  map[string]string
	}
	pwEnv := map[string]string{"IMAPPROBE_PASSWORD": quotedPW}
	litEnv := map[string]string{"IMAPPROBE_PASSWORD": literalPW}
	tokEnv := map[string]string{"IMAPPROBE_TOKEN": token}
	oauthCaps := "IMAP4rev1 AUTH=XOAUTH2 AUTH=OAUTHBEARER SASL-IR"
	scenarios := []scenario{
		{"login ok quoted", &pt.Server{Pass: quotedPW, Caps: "IMAP4rev1"}, []string{"--auth", "login"}, pwEnv},
		{"login ok literal", &pt.Server{Pass: literalPW, Caps: "IMAP4rev1"}, []string{"--auth", "login"}, litEnv},
		{"login failed", &pt.Server{Pass: "x", Caps: "IMAP4rev1"}, []string{"--auth", "login"}, litEnv},
		{"login echoed", &pt.Server{Caps: "IMAP4rev1", Handlers: map[string]pt.Handler{"LOGIN": echoBack}}, []string{"--auth", "login"}, pwEnv},
		{"login literal echoed", &pt.Server{Caps: "IMAP4rev1", Handlers: map[string]pt.Handler{"LOGIN": echoBack}}, []string{"--auth", "login"}, litEnv},
		{"plain sasl-ir ok", &pt.Server{Pass: quotedPW}, nil, pwEnv},
		{"plain continuation ok", &pt.Server{Pass: literalPW, Caps: "IMAP4rev1 AUTH=PLAIN"}, []string{"--auth", "plain"}, litEnv},
		{"plain failed", &pt.Server{Pass: "x"}, []string{"--password-file", pwFile}, nil},
		{"plain echoed", &pt.Server{Handlers: map[string]pt.Handler{"AUTHENTICATE": echoBack}}, nil, pwEnv},
		{"plain dropped", &pt.Server{Handlers: map[string]pt.Handler{"AUTHENTICATE": pt.HangUp("* BYE no")}}, nil, pwEnv},
		{"plain timeout", &pt.Server{Handlers: map[string]pt.Handler{"AUTHENTICATE": pt.Stall}}, []string{"--timeout", "2s"}, pwEnv}, // room for the handshake on a loaded machine
		{"plain malformed", &pt.Server{Handlers: map[string]pt.Handler{"AUTHENTICATE": pt.Answer("TAG WHAT")}}, nil, pwEnv},
		{"password flag", &pt.Server{Pass: quotedPW}, []string{"--password", quotedPW}, nil},
		{"xoauth2 ok", &pt.Server{Token: token, Caps: oauthCaps}, []string{"--auth", "xoauth2"}, tokEnv},
		{"xoauth2 rejected", &pt.Server{Token: "other", Caps: oauthCaps}, []string{"--auth", "xoauth2", "--token-file", tokFile}, nil},
		{"oauthbearer ok", &pt.Server{Token: token, Caps: oauthCaps}, []string{"--auth", "oauthbearer", "--token-cmd", "cat " + tokFile}, nil},
		{"oauthbearer rejected", &pt.Server{Token: "other", Caps: "IMAP4rev1 AUTH=OAUTHBEARER"}, nil, tokEnv},
		{"oauthbearer echoed", &pt.Server{Caps: oauthCaps, Handlers: map[string]pt.Handler{"AUTHENTICATE": echoBack}}, []string{"--auth", "oauthbearer"}, tokEnv},
		{"login disabled", &pt.Server{Caps: "IMAP4rev1 LOGINDISABLED"}, []string{"--auth", "login"}, pwEnv},
		{"mechanism unsupported", &pt.Server{Caps: "IMAP4rev1 AUTH=PLAIN"}, []string{"--auth", "oauthbearer"}, tokEnv},
		{"plain unavailable", &pt.Server{Handlers: map[string]pt.Handler{"AUTHENTICATE": pt.Answer("TAG NO [UNAVAILABLE] Temporary authentication failure.")}}, nil, litEnv},
		{"plaintext refused", &pt.Server{Pass: quotedPW}, []string{"--tls", "none"}, pwEnv},
		{"plaintext allowed", &pt.Server{Pass: quotedPW}, []string{"--tls", "none", "--allow-plaintext-auth"}, pwEnv},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			plain := len(sc.args) > 1 && sc.args[0] == "--tls"
			if !plain {
				sc.srv.Implicit = tlsConfig(t)
			}
			srv := sc.srv.Start(t)
			base := append([]string{fmt.Sprintf("--host=127.0.0.1 --port=%d", srv.Port())}, sc.args...)
			base = append(strings.Fields(base[0]), append(base[1:], "--user", user, "--ca-file", ca)...)
			htmlFile := filepath.Join(t.TempDir(), "report.html")
			for _, mode := range [][]string{nil, {"-v"}, {"--json"}, {"-v", "--json"}, {"-v", "--html", htmlFile}} {
				r := invoke(append(append([]string{}, base...), mode...), sc.env)
				if r.code == prober.ExitUsage {
					t.Fatalf("usage error: %s", r.stderr)
				}
				all := r.stdout + r.stderr
				if slices.Contains(mode, "--html") {
					doc, err := os.ReadFile(htmlFile)
					if err != nil {
						t.Fatal(err)
					}
					all += string(doc)
				}
				for _, f := range forbidden {
					if strings.Contains(all, f) {
						t.Errorf("%v: output holds canary form %q:\n%s", mode, f, all)
					}
				}
				if strings.Contains(strings.Join(mode, ""), "v") && !strings.Contains(all, "[redacted]") && !strings.Contains(sc.name, "refused") && !strings.Contains(sc.name, "disabled") && !strings.Contains(sc.name, "unsupported") {
					t.Errorf("%v: transcript shows no [redacted] marker:\n%s", mode, all)
				}
			}
		})
	}
}

// TestTokenCmdHasADeadline: a token command that hangs, even through a
// child holding its stdout, ends in a usage error within the deadline; one
// that prints a token and leaves a background child still works.
func TestTokenCmdHasADeadline(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, cmd, token, err string
	}{
		{"child holds stdout", "sleep 30", "", "--token-cmd did not finish within 2s"},
		{"shell waits", "exec sleep 30", "", "--token-cmd did not finish within 2s"},
		{"background child", "sleep 30 & echo tok-123", "tok-123", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			began := time.Now()
			tok, _, err := runTokenCmd(context.Background(), c.cmd, 2*time.Second)
			if took := time.Since(began); took > 10*time.Second {
				t.Errorf("took %s", took)
			}
			if tok != c.token || (err == nil) != (c.err == "") || err != nil && !strings.HasPrefix(err.Error(), c.err) {
				t.Errorf("got %q, %v; want %q, %q", tok, err, c.token, c.err)
			}
		})
	}
}

// TestInterrupted: Ctrl-C (a cancelled context) ends the probe at once,
// prints the report so far, and exits 130 instead of blaming the server
// with a timeout exit code.
func TestInterrupted(t *testing.T) {
	t.Parallel()
	srv := (&pt.Server{Raw: pt.Silent}).Start(t)
	cfg, err := parseArgs(context.Background(), []string{"--tls", "none", "--host", "127.0.0.1", "--port", fmt.Sprint(srv.Port()), "--quit-after", "capability"}, func(string) string { return "" }, strings.NewReader(""), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	time.AfterFunc(200*time.Millisecond, cancel) // what signal.NotifyContext does on Ctrl-C
	var out, errOut bytes.Buffer
	began := time.Now()
	code := probeAndReport(ctx, cfg, func(string) string { return "" }, &out, &errOut)
	if took := time.Since(began); code != exitInterrupted || took > 3*time.Second {
		t.Errorf("exit %d after %s, want %d at once", code, took, exitInterrupted)
	}
	if !strings.Contains(errOut.String(), "interrupted") || !strings.Contains(out.String(), "cancelled (interrupted)") || !strings.Contains(out.String(), "; exit 130\n") {
		t.Errorf("stdout:\n%s\nstderr: %s", out.String(), errOut.String())
	}
}
