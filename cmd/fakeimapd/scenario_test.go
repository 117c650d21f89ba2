package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/imapprobe/imapprobe/fakeserver"
)

// TestScenarioFlag: --scenario sets the mode, faults and plaintext auth
// of the scenario; an explicit --mode and --fault win or add.
func TestScenarioFlag(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args       []string
		wantMode   fakeserver.Mode
		wantFaults []string
		wantPlain  bool
		wantErr    string
	}{
		{args: []string{"--scenario", "cert-expired"}, wantMode: fakeserver.ModeImplicitTLS, wantFaults: []string{"cert:expired"}},
		{args: []string{"--scenario", "starttls-stripped"}, wantMode: fakeserver.ModeStartTLS, wantFaults: []string{"caps:-STARTTLS"}},
		{args: []string{"--scenario", "healthy-plaintext-lab"}, wantMode: fakeserver.ModePlaintext, wantPlain: true},
		{args: []string{"--mode", "tls", "--scenario", "starttls-stripped", "--fault", "delay:LIST=1s"}, wantMode: fakeserver.ModeImplicitTLS, wantFaults: []string{"delay:LIST=1s", "caps:-STARTTLS"}},
		{args: []string{"--scenario", "no-such"}, wantErr: `--scenario: unknown scenario "no-such"`},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			o := parseCase(t, tc.args, tc.wantErr, strings.HasPrefix)
			if o == nil {
				return
			}
			if o.mode != tc.wantMode {
				t.Errorf("mode = %v, want %v", o.mode, tc.wantMode)
			}
			if got := strings.Join(o.faults.Specs(), "|"); got != strings.Join(tc.wantFaults, "|") {
				t.Errorf("faults = %q, want %q", got, tc.wantFaults)
			}
			if o.allowPlainAuth != tc.wantPlain {
				t.Errorf("allowPlainAuth = %v, want %v", o.allowPlainAuth, tc.wantPlain)
			}
		})
	}
}

// TestListScenarios: --list-scenarios names each scenario with its
// diagnosis and what it stands for.
func TestListScenarios(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	listScenarios(&out)
	for _, want := range []string{"cert-expired", "tls/tls.cert_expired", "the wrong port: an SMTP server answers"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("list lacks %q", want)
		}
	}
}
