package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imapprobe/imapprobe/prober"
	pt "github.com/imapprobe/imapprobe/prober/probertest"
	"github.com/imapprobe/imapprobe/recording"
)

// TestRecord: --record writes the session as a recording that decodes,
// holds each step's verdict and the masked transcript, and no password.
func TestRecord(t *testing.T) {
	t.Parallel()
	const pw = "canary-record-pw-7Qz"
	srv := (&pt.Server{Pass: "other", Implicit: tlsConfig(t)}).Start(t)
	url := fmt.Sprintf("imaps://alice@127.0.0.1:%d/INBOX", srv.Port())
	path := filepath.Join(t.TempDir(), "session.rec")
	r := invoke([]string{url, "--ca-file", caFile(t), "--record", path}, map[string]string{"IMAPPROBE_PASSWORD": pw})
	if r.code != prober.ExitAuth {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	if strings.Contains(text, pw) {
		t.Errorf("the recording holds the password:\n%s", text)
	}
	rec, err := recording.Decode(strings.NewReader(text))
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	if step, code := rec.Failure(); step != "auth" || code != "auth.failed" || rec.TLS != "implicit" || rec.User != "alice" {
		t.Errorf("recording says %s %s, tls %s, user %q:\n%s", step, code, rec.TLS, rec.User, text)
	}
	for _, want := range []string{"\nS ", "AUTHENTICATE PLAIN [redacted]", "\ninfo ", "TLS handshake", "\nstep auth fail auth.failed\n", "\nend client\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("recording lacks %q:\n%s", want, text)
		}
	}

	// an unwritable path: one line, and exit 2 where the probe passed
	ok := (&pt.Server{Pass: pw, Implicit: tlsConfig(t)}).Start(t)
	url = fmt.Sprintf("imaps://alice@127.0.0.1:%d/INBOX", ok.Port())
	r = invoke([]string{url, "--ca-file", caFile(t), "--record", filepath.Join(t.TempDir(), "no", "such.rec")}, map[string]string{"IMAPPROBE_PASSWORD": pw})
	if r.code != prober.ExitUsage || !strings.HasPrefix(r.stderr, "imapprobe: --record: open ") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}
