package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/imapprobe/imapprobe/fakeserver"
	pt "github.com/imapprobe/imapprobe/prober/probertest"
)

// TestPipelineCanary: a seeded password and token, echoed back by a
// hostile server, appear in no pipeline output: JSON Lines, the table,
// JUnit, the Nagios line, --wait's attempt lines or the progress line.
func TestPipelineCanary(t *testing.T) {
	stamp := fmt.Sprint(time.Now().UnixNano())
	pw, token, user := "canary pw "+stamp, "canary-token-"+stamp, "alice"
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	forbidden := []string{stamp, b64(pw), b64("\x00" + user + "\x00" + pw), b64(token),
		b64("user=" + user + "\x01auth=Bearer " + token + "\x01\x01"), strings.ReplaceAll(pw, " ", "\\x20")}
	echoBack := func(c *pt.Conv, tag, args string) bool {
		c.Send(tag + " BAD invalid arguments: " + args)
		return true
	}
	hostile := (&pt.Server{Implicit: tlsConfig(t), Caps: "IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2 SASL-IR", Handlers: map[string]pt.Handler{"AUTHENTICATE": echoBack, "LOGIN": echoBack}}).Start(t)
	good := fakeserver.New(t, fakeserver.WithUser(user, pw), fakeserver.WithToken(user, token))
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, append(pt.PKI(t).CA.CertPEM(), good.CACertPEM()...), 0o600); err != nil {
		t.Fatal(err)
	}
	urls := []string{fmt.Sprintf("imaps://%s@127.0.0.1:%d/INBOX", user, hostile.Port()), good.URL()}
	junit := filepath.Join(t.TempDir(), "j.xml")
	env := map[string]string{"IMAPPROBE_PASSWORD": pw, "IMAPPROBE_TOKEN": token}
	check := func(what, out string) {
		t.Helper()
		for _, f := range forbidden {
			if strings.Contains(out, f) {
				t.Errorf("%s holds canary form %q:\n%s", what, f, out)
			}
		}
	}
	modes := [][]string{
		// with both secrets the token is used where XOAUTH2 is offered; --auth plain sends the password
		{"--json"}, {"--json", "--auth", "plain"}, nil, {"--auth", "plain"}, {"--junit", junit}, {"--auth", "plain", "--junit", junit},
		{"--format", "nagios"}, {"--auth", "plain", "--format", "nagios"}, {"--auth", "plain", "--wait", "300ms", "--interval", "100ms"},
	}
	for _, m := range modes {
		r := invoke(append(append([]string{"--ca-file", ca}, m...), urls...), env)
		if r.code != 9 && r.code != 2 {
			t.Errorf("%v: exit %d, want 9 (the hostile server's BAD) or 2 (Nagios CRITICAL)\n%s%s", m, r.code, r.stdout, r.stderr)
		}
		check(fmt.Sprint(m), r.stdout+r.stderr)
		if len(m) > 0 && m[0] == "--json" && !regexp.MustCompile(`BAD invalid arguments: (XOAUTH2|PLAIN) \[redacted\]`).MatchString(r.stdout) {
			t.Errorf("%v: the hostile server's echo is not in the transcript, so the canary proves nothing:\n%s", m, r.stdout)
		}
		if len(m) > 1 && m[len(m)-2] == "--junit" {
			b, err := os.ReadFile(junit)
			if err != nil || !bytes.Contains(b, []byte("<testsuites")) {
				t.Fatalf("%v: no JUnit file: %v", m, err)
			}
			check("the JUnit file", string(b))
		}
	}
	mtty, tty := openPTY(t)
	got := drain(mtty)
	var out bytes.Buffer
	run(append([]string{"--ca-file", ca}, urls...), func(k string) string { return env[k] }, strings.NewReader(""), &out, tty)
	check("the progress line", got.WaitFor(t, "2/2 done, 1 failed"))
}
