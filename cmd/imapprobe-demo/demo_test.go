package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/imapprobe/imapprobe/scenarios"
)

func TestDemo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		wantCode int
		stdout   []string
		stderr   string
	}{
		{"table", []string{"--scenario", "cert-expired", "--scenario", "wrong-password"}, 0,
			[]string{"SCENARIO", "cert-expired", "tls/tls.cert_expired", "wrong-password", "auth/auth.failed", "✓", "2/2 scenarios diagnosed as expected"}, ""},
		{"verbose", []string{"--scenario", "starttls-stripped", "-v"}, 0,
			[]string{"── scenario starttls-stripped: a middlebox strips STARTTLS", "faults caps:-STARTTLS", "✓ match", "S: * OK [CAPABILITY IMAP4rev2", "starttls.unavailable"}, ""},
		{"list", []string{"--list"}, 0, []string{"healthy-starttls", "wrong-port-smtp"}, ""},
		{"unknown scenario", []string{"--scenario", "nope"}, 2, nil, `imapprobe demo: unknown scenario "nope"`},
		{"bad flag", []string{"--nope"}, 2, nil, "imapprobe demo: unknown flag --nope; run imapprobe demo --help"},
		{"bad value", []string{"--parallel", "many"}, 2, nil, `imapprobe demo: --parallel "many": `},
		{"stray argument", []string{"cert-expired"}, 2, nil, `imapprobe demo: unexpected argument "cert-expired"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := invoke(tc.args, nil)
			if r.code != tc.wantCode {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tc.wantCode, r.stdout, r.stderr)
			}
			for _, want := range tc.stdout {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
				}
			}
			if tc.stderr != "" && (!strings.HasPrefix(r.stderr, tc.stderr) || strings.Count(r.stderr, "\n") != 1) {
				t.Errorf("stderr = %q, want one line starting %q", r.stderr, tc.stderr)
			}
		})
	}
}

func TestDemoJSON(t *testing.T) {
	t.Parallel()
	r := invoke([]string{"--json", "--scenario", "mailbox-renamed"}, nil)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var out struct {
		Schema  string
		Matched int
		Total   int
		Results []scenarios.Result
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatal(err)
	}
	if out.Schema != "imapprobe/demo/v1" || out.Matched != 1 || out.Total != 1 || len(out.Results) != 1 {
		t.Fatalf("got schema %q, %d/%d matched, %d results", out.Schema, out.Matched, out.Total, len(out.Results))
	}
	if got := out.Results[0].Got; got.Step != "select" || got.Code != "mailbox.not_found" {
		t.Errorf("got %+v", got)
	}
}
