package exporter

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/imapprobe/imapprobe/prober"
)

// TestParseConfigErrors: each bad file gives one line naming the key.
func TestParseConfigErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte("x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(k string) string { return map[string]string{"SET": "x"}[k] }
	moduleKeys := "tls, port, ca_file, insecure_skip_verify, server_name, auth, user, mailbox, select, quit_after, timeout, step_timeout, slow, expiry_warning, max_fetch, allow_plaintext_auth, allow_weak_tls, strict, password_file, password_env, token_file, token_env, token_cmd, users"
	cases := []struct{ name, yaml, want string }{
		{"empty", "", "the file is empty: it needs a modules: section"},
		{"no modules", "modules: {}\n", "no modules: define at least one in the modules section"},
		{"unknown top key", "module:\n  default: {}\n", `line 1: unknown key "module": valid keys are modules`},
		{"unknown module key", "modules:\n  default:\n    tls: implicit\n    pasword_file: /x\n", `line 4: unknown key "pasword_file": valid keys are ` + moduleKeys},
		{"unknown user key", "modules:\n  m:\n    users:\n      bob:\n        password: hunter2\n", `line 5: unknown key "password": valid keys are password_file, password_env, token_file, token_env, token_cmd`},
		{"bad tls", "modules:\n  m:\n    tls: ssl\n", `module "m": tls: unknown TLS mode "ssl": use implicit, starttls or none`},
		{"bad duration", "modules:\n  m:\n    timeout: soon\n", "line 3: cannot unmarshal !!str `soon` into time.Duration"},
		{"negative timeout", "modules:\n  m:\n    timeout: -1s\n", `module "m": timeout -1s is negative`},
		{"bad auth", "modules:\n  m:\n    auth: cram-md5\n", `module "m": auth: unknown mechanism "cram-md5": use one of oauthbearer, xoauth2, plain, login`},
		{"bad quit_after", "modules:\n  m:\n    quit_after: logout\n", `module "m": quit_after: unknown step "logout" for --quit-after: use one of resolve, connect, tls, greeting, capability, starttls, auth, list, select, fetch`},
		{"two passwords", "modules:\n  m:\n    password_file: " + pw + "\n    password_env: SET\n", `module "m": both password_file and password_env: keep one`},
		{"two tokens", "modules:\n  m:\n    token_env: SET\n    token_cmd: echo x\n", `module "m": more than one of token_file, token_env and token_cmd: keep one`},
		{"unset env", "modules:\n  m:\n    password_env: UNSET\n", `module "m": password_env: the environment variable UNSET is not set`},
		{"missing file", "modules:\n  m:\n    password_file: " + dir + "/nope\n", `module "m": password_file: open ` + dir + `/nope: no such file or directory`},
		{"missing ca", "modules:\n  m:\n    ca_file: " + dir + "/nope\n", `module "m": ca_file: open ` + dir + `/nope: no such file or directory`},
		{"ca not pem", "modules:\n  m:\n    ca_file: " + pw + "\n", `module "m": ca_file ` + pw + ` holds no PEM certificate`},
		{"user without credentials", "modules:\n  m:\n    users:\n      bob: {}\n", `module "m": users: "bob" has no credentials: give password_file, password_env, token_file, token_env or token_cmd`},
		{"bad port", "modules:\n  m:\n    port: 70000\n", `module "m": port 70000 out of range: use 1-65535`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseConfig(strings.NewReader(c.yaml), env)
			if err == nil || err.Error() != c.want {
				t.Errorf("error %v\nwant  %s", err, c.want)
			}
			if err != nil && strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

// TestMinimalConfig is the minimal file: it loads, and its module
// probes implicit TLS on 993 with the CA and password file given.
func TestMinimalConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ca := writeFile(t, dir, "ca.pem", string(testCA(t)))
	pw := writeFile(t, dir, "pw", "secret\n")
	cfg, err := ParseConfig(strings.NewReader("modules:\n  default:\n    tls: implicit          # implicit | starttls | none\n    ca_file: "+ca+"\n    password_file: "+pw+"   # or password_env: NAME\n"), os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	m := cfg.Modules["default"]
	tg, err := m.target("mail.example.com")
	if err != nil {
		t.Fatal(err)
	}
	if tg != (prober.Target{Host: "mail.example.com", Port: 993, TLS: prober.TLSImplicit}) {
		t.Errorf("target %+v", tg)
	}
	if o := m.options(time.Second); o.RootCAs == nil || o.Timeout != time.Second || o.Password != "" {
		t.Errorf("options %v", o)
	}
}

// TestTarget: what /probe?target= accepts, and how the module fills it.
func TestTarget(t *testing.T) {
	t.Parallel()
	cfg, err := ParseConfig(strings.NewReader(`
modules:
  implicit: {}
  starttls: {tls: starttls, user: ops, mailbox: Archive}
  none: {tls: none, port: 1143}
  explicit: {tls: implicit}
`), os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		module, target string
		want           prober.Target
		err            string
	}{
		{"implicit", "mail.example.com", prober.Target{Host: "mail.example.com", Port: 993, TLS: prober.TLSImplicit}, ""},
		{"implicit", "imap://bob@h:1430/Sent", prober.Target{Host: "h", Port: 1430, TLS: prober.TLSStartTLS, User: "bob", Mailbox: "Sent"}, ""},
		{"starttls", "h:10143", prober.Target{Host: "h", Port: 10143, TLS: prober.TLSStartTLS, User: "ops", Mailbox: "Archive"}, ""},
		{"starttls", "[::1]", prober.Target{Host: "::1", Port: 143, TLS: prober.TLSStartTLS, User: "ops", Mailbox: "Archive"}, ""},
		{"none", "imap://bob@h/INBOX", prober.Target{Host: "h", Port: 1143, TLS: prober.TLSNone, User: "bob", Mailbox: "INBOX"}, ""},
		{"explicit", "imap://h", prober.Target{}, `the URL's scheme means TLS starttls, but module "explicit" has tls: implicit: use host:port, or the matching scheme`},
		{"implicit", "h:pw", prober.Target{}, "bad port in the target: use 1-65535"},
		{"implicit", "alice:hunter2@h", prober.Target{}, "password in URL refused: remove it and use IMAPPROBE_PASSWORD, --password-file or the prompt; a ':' or '@' in a user name or mailbox must be percent-encoded (%3A, %40)"},
		{"implicit", "h:1:2", prober.Target{}, "the target is neither host[:port] nor an imaps:// or imap:// URL"},
	}
	for _, c := range cases {
		got, err := cfg.Modules[c.module].target(c.target)
		switch {
		case c.err != "" && (err == nil || err.Error() != c.err):
			t.Errorf("%s %q: error %v, want %s", c.module, c.target, err, c.err)
		case c.err == "" && err != nil:
			t.Errorf("%s %q: %v", c.module, c.target, err)
		case c.err == "" && got != c.want:
			t.Errorf("%s %q: %+v, want %+v", c.module, c.target, got, c.want)
		}
	}
}

// TestProbeTimeout is blackbox_exporter's rule with its 0.5 s margin.
func TestProbeTimeout(t *testing.T) {
	t.Parallel()
	cases := []struct {
		header string
		module time.Duration
		want   time.Duration
		err    bool
	}{
		{"", 0, 119500 * time.Millisecond, false},
		{"10", 0, 9500 * time.Millisecond, false},
		{"10", 3 * time.Second, 3 * time.Second, false},
		{"2.5", 30 * time.Second, 2 * time.Second, false},
		{"0.4", 0, 200 * time.Millisecond, false}, // the margin would eat it all
		{"3600", 0, MaxProbeTimeout, false},
		{"abc", 0, 0, true},
		{"-1", 0, 0, true},
	}
	for _, c := range cases {
		got, err := probeTimeout(c.header, DefaultTimeoutOffset, c.module)
		if (err != nil) != c.err || got != c.want {
			t.Errorf("header %q module %s: %s, %v; want %s (error %v)", c.header, c.module, got, err, c.want, c.err)
		}
	}
}
