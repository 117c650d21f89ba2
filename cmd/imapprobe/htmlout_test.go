package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imapprobe/imapprobe/prober"
	pt "github.com/imapprobe/imapprobe/prober/probertest"
)

// TestHTMLFlag: --html FILE writes the HTML report beside the text report,
// with the verdict's exact code; a FILE that cannot be created is a usage
// error before any probe.
func TestHTMLFlag(t *testing.T) {
	t.Parallel()
	srv := (&pt.Server{Implicit: tlsConfig(t), Handlers: map[string]pt.Handler{
		"AUTHENTICATE": pt.Answer("TAG NO [UNAVAILABLE] Temporary authentication failure."),
	}}).Start(t)
	base := []string{"--host", "127.0.0.1", "--port", fmt.Sprint(srv.Port()), "--user", "alice", "--ca-file", caFile(t)}
	env := map[string]string{"IMAPPROBE_PASSWORD": "pw"}
	dir := t.TempDir()
	tests := []struct {
		name, path string
		code       int
		stderr     string
	}{
		{"written", filepath.Join(t.TempDir(), "r.html"), prober.ExitAuth, ""},
		{"no such directory", filepath.Join(dir, "missing", "r.html"), prober.ExitUsage, "imapprobe: --html " + filepath.Join(dir, "missing", "r.html") + ": cannot create it (no such file or directory): name a file in a directory you can write\n"},
		{"a directory", dir, prober.ExitUsage, "imapprobe: --html " + dir + ": cannot create it (is a directory): name a file in a directory you can write\n"},
		{"empty", "", prober.ExitUsage, "imapprobe: --html needs a file name, e.g. --html report.html\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := invoke(append([]string{"--html", tc.path}, base...), env)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %q", r.code, tc.code, r.stderr)
			}
			if tc.code == prober.ExitUsage {
				if r.stderr != tc.stderr || r.stdout != "" {
					t.Errorf("stderr %q, stdout %q: want the one line %q and no report", r.stderr, r.stdout, tc.stderr)
				}
				return
			}
			doc, err := os.ReadFile(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(r.stdout, "FAIL at auth (auth.unavailable)") {
				t.Errorf("the text report is missing from stdout:\n%s", r.stdout)
			}
			if !strings.Contains(string(doc), `<section id="diagnosis" class="card fail" data-code="auth.unavailable">`) {
				t.Errorf("the HTML report lacks the auth.unavailable card:\n%s", doc)
			}
		})
	}
}
