package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	pt "github.com/imapprobe/imapprobe/prober/probertest"
)

func TestUTF8Locale(t *testing.T) {
	t.Parallel()
	cases := []struct {
		env  map[string]string
		want bool
	}{
		{nil, false},
		{map[string]string{"LANG": "C"}, false},
		{map[string]string{"LANG": "POSIX"}, false},
		{map[string]string{"LANG": "en_US.UTF-8"}, true},
		{map[string]string{"LANG": "de_DE.utf8"}, true},
		{map[string]string{"LANG": "en_US.ISO-8859-1"}, false},
		{map[string]string{"LC_ALL": "C", "LANG": "en_US.UTF-8"}, false},
		{map[string]string{"LC_CTYPE": "C.UTF-8", "LANG": "C"}, true},
		{map[string]string{"LC_ALL": "", "LC_CTYPE": "POSIX", "LANG": "en_US.UTF-8"}, false},
		{map[string]string{"LC_ALL": "C.UTF-8", "LC_CTYPE": "C"}, true},
	}
	for _, c := range cases {
		if got := utf8Locale(func(k string) string { return c.env[k] }); got != c.want {
			t.Errorf("%v: UTF-8 %v, want %v", c.env, got, c.want)
		}
	}
}

// TestASCIIWriter: every non-ASCII rune becomes \uXXXX (a surrogate pair
// above U+FFFF), an invalid byte \xNN, a rune split between writes is
// whole, and JSON stays the same JSON.
func TestASCIIWriter(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	w := &asciiWriter{w: &buf}
	in := "a✓b\xffc😀d"
	for _, piece := range []string{in[:2], in[2:3], in[3:9], in[9:]} { // split inside ✓ and 😀
		if n, err := w.Write([]byte(piece)); n != len(piece) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	if got, want := buf.String(), `a\u2713b\xffc\ud83d\ude00d`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	buf.Reset()
	doc := map[string]string{"greeting": "* OK Grüße ☃ 😀"}
	if err := json.NewEncoder(w).Encode(doc); err != nil {
		t.Fatal(err)
	}
	var back map[string]string
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil || back["greeting"] != doc["greeting"] || !isASCII(buf.Bytes()) {
		t.Errorf("JSON %q decodes to %q (%v)", buf.String(), back, err)
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
		{"demo", []string{"demo", "--scenario", "cert-expired"}, env, []string{"OK", "1/1 scenarios"}},
		{"demo verbose", []string{"demo", "--scenario", "cert-expired", "-v"}, env, []string{"-- scenario cert-expired", "OK match"}},
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
