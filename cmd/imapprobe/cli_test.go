package main

import (
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/imapprobe/imapprobe/prober"
	pt "github.com/imapprobe/imapprobe/prober/probertest"
)

type errorJSON struct {
	Schema   string `json:"schema"`
	Error    string `json:"error"`
	ExitCode *int   `json:"exit_code"`
}

// checkUsageError asserts exit 2, one stderr line, and with asJSON an
// error object on stdout that says the same.
func checkUsageError(t *testing.T, r result, asJSON bool, want string) {
	t.Helper()
	if r.code != prober.ExitUsage {
		t.Errorf("exit %d, want 2\n%s%s", r.code, r.stdout, r.stderr)
	}
	line, ok := strings.CutPrefix(strings.TrimSuffix(r.stderr, "\n"), "imapprobe: ")
	if !ok || strings.Contains(line, "\n") || !strings.Contains(line, want) {
		t.Errorf("stderr %q, want one line containing %q", r.stderr, want)
	}
	if !asJSON {
		if r.stdout != "" {
			t.Errorf("stdout %q, want nothing", r.stdout)
		}
		return
	}
	var doc errorJSON
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || doc.Schema != errorSchema || doc.ExitCode == nil || *doc.ExitCode != prober.ExitUsage || doc.Error != line {
		t.Errorf("stdout %q (%v), want {schema %q, error %q, exit_code 2}", r.stdout, err, errorSchema, line)
	}
}

// TestNoCredentialsIsAnError: without a password or token a probe does
// not report OK: one line saying how to give them, exit 2, in text, JSON
// and --strict, before connecting anywhere.
func TestNoCredentialsIsAnError(t *testing.T) {
	t.Parallel()
	srv := (&pt.Server{Pass: "pw", Implicit: tlsConfig(t)}).Start(t)
	ca := caFile(t)
	url := fmt.Sprintf("imaps://alice@127.0.0.1:%d/INBOX", srv.Port())
	noUser := fmt.Sprintf("imaps://127.0.0.1:%d/INBOX", srv.Port())
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"no secret", []string{url}, nil, "no password or token: set IMAPPROBE_PASSWORD (or IMAPPROBE_TOKEN), use --password-file or --token-file, or run on a terminal to be prompted; or check only the connection with --quit-after capability"},
		{"no user", []string{noUser}, map[string]string{"IMAPPROBE_PASSWORD": "pw"}, "no user name: give one in the URL (imaps://USER@HOST/) or with --user"},
		{"quit after auth", []string{url, "--quit-after", "auth"}, nil, "no password or token"},
		{"quit after fetch", []string{url, "--quit-after", "fetch"}, nil, "no password or token"},
	}
	for _, c := range cases {
		for _, mode := range [][]string{nil, {"--json"}, {"--strict"}, {"--json", "--strict"}} {
			t.Run(c.name+" "+strings.Join(mode, " "), func(t *testing.T) {
				t.Parallel()
				r := invoke(append(append([]string{"--ca-file", ca}, c.args...), mode...), c.env)
				checkUsageError(t, r, slices.Contains(mode, "--json"), c.want)
			})
		}
	}
	t.Cleanup(func() {
		if cmds := srv.Commands(); len(cmds) > 0 {
			t.Errorf("the server got %v: a probe without credentials connected", cmds)
		}
	})
}

// TestQuitAfter: --quit-after capability needs no credentials, exits 0,
// and reports the later steps as not requested, in text and JSON.
func TestQuitAfter(t *testing.T) {
	t.Parallel()
	srv := (&pt.Server{Implicit: tlsConfig(t)}).Start(t)
	ca := caFile(t)
	url := fmt.Sprintf("imaps://alice@127.0.0.1:%d/INBOX", srv.Port())

	r := invoke([]string{"--ca-file", ca, "--quit-after", "capability", url}, nil)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"✓ capability", "· starttls", "· auth", "· list", "· select", "· fetch", "· logout",
		"(not requested: --quit-after capability)", "OK up to capability (starttls, auth, list, select, fetch, logout not requested) after"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "skipped") {
		t.Errorf("not-requested steps shown as skipped:\n%s", r.stdout)
	}

	r = invoke([]string{"--ca-file", ca, "--quit-after", "capability", "--json", "--strict", url}, nil)
	var doc struct {
		Requested []string `json:"requested_steps"`
		Result    struct {
			Status   string `json:"status"`
			ExitCode int    `json:"exit_code"`
		} `json:"result"`
		ExitCode int `json:"exit_code"`
		Steps    []struct{ Name, Status string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || r.code != 0 {
		t.Fatalf("exit %d, %v\n%s", r.code, err, r.stdout)
	}
	if want := []string{"resolve", "connect", "tls", "greeting", "capability"}; !slices.Equal(doc.Requested, want) {
		t.Errorf("requested_steps %v, want %v", doc.Requested, want)
	}
	if doc.Result.Status != "ok" || doc.Result.ExitCode != 0 || doc.ExitCode != 0 {
		t.Errorf("result %+v, exit_code %d", doc.Result, doc.ExitCode)
	}
	for _, s := range doc.Steps[5:] {
		if s.Status != string(prober.StatusNotRequested) {
			t.Errorf("step %s: %s, want not_requested", s.Name, s.Status)
		}
	}

	for _, bad := range []string{"bogus", "logout", ""} {
		r := invoke([]string{"--quit-after", bad, url}, nil)
		if bad == "" {
			checkUsageError(t, r, false, "no password or token") // "" means every step
			continue
		}
		checkUsageError(t, r, false, fmt.Sprintf("unknown step %q for --quit-after: use one of resolve, connect, tls, greeting, capability, starttls, auth, list, select, fetch", bad))
	}
}

// TestStaleTokenDoesNotShadowPassword: with IMAPPROBE_TOKEN and
// IMAPPROBE_PASSWORD both set, against a server without OAuth, the
// password is used, and the report says so.
func TestStaleTokenDoesNotShadowPassword(t *testing.T) {
	t.Parallel()
	ca := caFile(t)
	env := map[string]string{"IMAPPROBE_PASSWORD": "pw", "IMAPPROBE_TOKEN": "stale-token-123"}
	cases := []struct {
		name, caps, token string
		credential        string
	}{
		{"no oauth", "IMAP4rev1 AUTH=PLAIN SASL-IR", "", "password"},
		{"oauth offered", "IMAP4rev1 AUTH=PLAIN AUTH=OAUTHBEARER SASL-IR", "stale-token-123", "token"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			srv := (&pt.Server{Pass: "pw", Token: c.token, Caps: c.caps, Implicit: tlsConfig(t)}).Start(t)
			url := fmt.Sprintf("imaps://alice@127.0.0.1:%d/INBOX", srv.Port())
			r := invoke([]string{"--ca-file", ca, url}, env)
			if r.code != 0 {
				t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			for _, want := range []string{"with the " + c.credential, "a password and a token were both given; the " + c.credential + " was used"} {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("report lacks %q:\n%s", want, r.stdout)
				}
			}
			r = invoke([]string{"--ca-file", ca, "--json", url}, env)
			var doc struct {
				Steps []struct {
					Name    string
					Details struct{ Credential string }
				}
			}
			if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || doc.Steps[6].Name != "auth" || doc.Steps[6].Details.Credential != c.credential {
				t.Errorf("JSON auth step (%v): %+v", err, doc.Steps)
			}
		})
	}
}

// TestJSONUsageErrors: with --json, every usage error also prints a JSON
// object on stdout; --json=false does not.
func TestJSONUsageErrors(t *testing.T) {
	t.Parallel()
	cases := [][]string{
		{},
		{"mail.example.com"},
		{"imaps://alice:secret@mail.example.com/INBOX"},
		{"--bogus", "imaps://alice@mail.example.com"},
		{"--timeout", "soon", "imaps://alice@mail.example.com"},
		{"--auth", "xoauth2", "imaps://alice@mail.example.com"},
		{"--quit-after", "nope", "imaps://alice@mail.example.com"},
		{"--password-file", "/nonexistent/pw", "imaps://alice@mail.example.com"},
		{"imaps://alice@mail.example.com"},
		{"imaps://a@x.example", "imaps://b@y.example"},
		{"--json=maybe", "imaps://alice@mail.example.com"},
	}
	for _, args := range cases {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			r := invoke(append([]string{"--json"}, args...), nil)
			checkUsageError(t, r, true, "")
			r = invoke(append([]string{"--json=false"}, args...), nil)
			checkUsageError(t, r, false, "")
		})
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	r := invoke([]string{"--version"}, nil)
	if r.code != 0 || r.stderr != "" || !strings.HasPrefix(r.stdout, "imapprobe ") || !strings.HasSuffix(r.stdout, " "+runtime.Version()+"\n") || strings.Count(r.stdout, "\n") != 1 {
		t.Errorf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

func TestExplain(t *testing.T) {
	t.Parallel()
	r := invoke([]string{"explain", "auth.failed"}, nil)
	c, _ := prober.Lookup("auth.failed")
	for _, want := range []string{"auth.failed: " + c.Summary, "exit code: 6", "cause:     " + c.Cause, "fix:       " + c.Fix} {
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Errorf("exit %d: stdout lacks %q:\n%s", r.code, want, r.stdout)
		}
	}
	r = invoke([]string{"explain", "tls.slow"}, nil)
	if r.code != 0 || !strings.Contains(r.stdout, "warning (exit code only with --strict)") || !strings.Contains(r.stdout, "exit code: 1") {
		t.Errorf("warning code: exit %d\n%s", r.code, r.stdout)
	}
	r = invoke([]string{"explain"}, nil)
	if lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n"); r.code != 0 || len(lines) != len(prober.Catalog()) || !strings.HasPrefix(lines[0], "dns.") {
		t.Errorf("explain lists %d lines for %d codes, exit %d", len(lines), len(prober.Catalog()), r.code)
	}
	for _, args := range [][]string{{"explain", "auth.nope"}, {"explain", "a", "b"}} {
		r := invoke(args, nil)
		if r.code != prober.ExitUsage || r.stdout != "" || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "imapprobe explain") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, r.code, r.stdout, r.stderr)
		}
	}
}

// TestURLErrorsKeepSecrets: a mistyped URL with a password, or a user
// name with a space, gets one clear line that never holds the password.
func TestURLErrorsKeepSecrets(t *testing.T) {
	t.Parallel()
	const canary = "Canary5PW"
	for _, url := range []string{"imaps:/alice:" + canary + "@mail.example.com/", "imaps:alice:" + canary + "@mail.example.com/", "imaps://alice:12/" + canary + "@mail.example.com/"} {
		for _, asJSON := range []bool{false, true} {
			args := []string{url}
			if asJSON {
				args = append(args, "--json")
			}
			r := invoke(args, nil)
			checkUsageError(t, r, asJSON, "password in URL refused")
			if strings.Contains(r.stdout+r.stderr, canary) {
				t.Errorf("%s: output holds the password:\n%s%s", url, r.stdout, r.stderr)
			}
		}
	}
	r := invoke([]string{"imaps://my user@mail.example.com/INBOX"}, nil)
	checkUsageError(t, r, false, `user name "my user" in the URL must be percent-encoded: write my%20user@`)
}
