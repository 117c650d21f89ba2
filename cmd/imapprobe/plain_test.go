package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	pt "github.com/imapprobe/imapprobe/prober/probertest"
)

// TestPlainOutputIsASCII: with LC_ALL=C no output byte is above 0x7F,
// even when the server greets in UTF-8: marks are words, µs is us, and
// JSON escapes say the same thing.
func TestPlainOutputIsASCII(t *testing.T) {
	t.Parallel()
	greeting := "* OK Grüße ☃ — server ready…"
	srv := (&pt.Server{Pass: "pw", Greeting: greeting, Implicit: tlsConfig(t)}).Start(t)
	url := fmt.Sprintf("imaps://alice@127.0.0.1:%d/INBOX", srv.Port())
	ca := caFile(t)
	env := map[string]string{"LC_ALL": "C", "LANG": "en_US.UTF-8", "IMAPPROBE_PASSWORD": "pw"}
	wrong := map[string]string{"LC_ALL": "C", "IMAPPROBE_PASSWORD": "wrong"}
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want []string
	}{
		{"ok", []string{"--ca-file", ca, url}, env, []string{"  OK   resolve", "  -    starttls", `Gr\u00fc\u00dfe`, "\nOK after "}},
		{"verbose warnings", []string{"--ca-file", ca, "-v", "--slow", "1ns", url}, env, []string{"WARN tls.slow", "  WARN resolve", "S: * OK Gr"}},
		{"failure", []string{"--ca-file", ca, url}, wrong, []string{"  FAIL auth", "      FAIL auth.failed", "\nFAIL at auth (auth.failed)"}},
		{"quit after", []string{"--ca-file", ca, "--quit-after", "tls", url}, env, []string{"  .    greeting", "OK up to tls"}},
		{"json", []string{"--ca-file", ca, "--json", url}, env, []string{`Gr\u00fc\u00dfe`}},
		{"help", []string{"--help"}, env, []string{"OK, WARN, FAIL, - skipped, . not requested"}},
		{"explain", []string{"explain", "tls.cert_expired"}, env, []string{"exit code: 4"}},
		{"explain all", []string{"explain"}, env, []string{"auth.failed"}},
		{"usage error", []string{"imaps://alice@mail.exämple.com/Entwürfe?x"}, env, []string{`ex\u00e4mple`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := invoke(c.args, c.env)
			all := r.stdout + r.stderr
			if !isASCII([]byte(all)) {
				t.Errorf("non-ASCII output:\n%s", all)
			}
			for _, want := range c.want {
				if !strings.Contains(all, want) {
					t.Errorf("output lacks %q:\n%s", want, all)
				}
			}
			if c.name == "ok" && !regexp.MustCompile(`\d+(us|ms) `).MatchString(r.stdout) {
				t.Errorf("no durations:\n%s", r.stdout)
			}
			if c.name == "json" {
				var doc struct {
					Steps []struct{ Details struct{ Text string } }
				}
				if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || doc.Steps[3].Details.Text != greeting {
					t.Errorf("greeting %q (%v), want %q", doc.Steps[3].Details.Text, err, greeting)
				}
			}
		})
	}
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c > 0x7F {
			return false
		}
	}
	return true
}
