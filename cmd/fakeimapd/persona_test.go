package main

import (
	"strings"
	"testing"

	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/internal/testkit"
)

// TestPersonaFlag: --persona takes goimap, dovecot or cyrus, exactly as spelled,
// and combines with --scenario.
func TestPersonaFlag(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args    []string
		want    fakeserver.Persona
		wantErr string
	}{
		{args: nil, want: fakeserver.PersonaGoImap},
		{args: []string{"--persona", "goimap"}, want: fakeserver.PersonaGoImap},
		{args: []string{"--persona", "dovecot"}, want: fakeserver.PersonaDovecot},
		{args: []string{"--persona=dovecot", "--scenario", "cert-expired"}, want: fakeserver.PersonaDovecot},
		{args: []string{"--persona", "cyrus"}, want: fakeserver.PersonaCyrus},
		{args: []string{"--persona", "Dovecot"}, wantErr: `--persona: unknown persona "Dovecot": use goimap, dovecot or cyrus`},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			o := parseCase(t, tc.args, tc.wantErr, func(got, want string) bool { return got == want })
			if o == nil {
				return
			}
			if o.persona != tc.want {
				t.Errorf("persona = %v, want %v", o.persona, tc.want)
			}
		})
	}
}

// parseCase parses args with an empty environment. With wantErr set, the
// error must match it and the options are nil.
func parseCase(t *testing.T, args []string, wantErr string, match func(got, want string) bool) *options {
	t.Helper()
	o, err := parseFlags(args, func(string) string { return "" })
	if wantErr != "" {
		if err == nil || !match(err.Error(), wantErr) {
			t.Fatalf("err = %v, want %q", err, wantErr)
		}
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// TestPersonaDaemon: the built binary greets as Dovecot with --persona
// dovecot, and as Cyrus with --persona cyrus.
func TestPersonaDaemon(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ persona, want string }{
		{"dovecot", "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS LOGINDISABLED] Dovecot (Debian) ready.\r\n"},
		{"cyrus", "* OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE STARTTLS LOGINDISABLED] imapprobe-cyrus Cyrus IMAP 3.6.1-Debian-3.6.1-4+deb12u5 server ready\r\n"},
	} {
		t.Run(tc.persona, func(t *testing.T) {
			t.Parallel()
			d := startDaemon(t, []string{"FAKEIMAPD_USERS=alice:canary-p3e9"},
				"--mode", "starttls", "--persona", tc.persona, "--quiet")
			if g := testkit.Greeting(t, d.ready.Addr); g != tc.want {
				t.Fatalf("greeting %q, want %q", g, tc.want)
			}
			d.stderr.WaitFor(t, "persona="+tc.persona) // the ready log line follows the ready JSON line
		})
	}
}
