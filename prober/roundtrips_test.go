package prober

import (
	"context"
	"slices"
	"testing"

	pt "github.com/imapprobe/imapprobe/prober/probertest"
)

// TestCommandsSent: the probe sends no CAPABILITY the server has already
// answered, in its greeting or around its tagged OK, and exactly the one
// that STARTTLS requires (RFC 9051 section 6.2.1).
func TestCommandsSent(t *testing.T) {
	t.Parallel()
	const withCaps = "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] ready"
	cases := []struct {
		name     string
		greeting string
		mode     TLSMode
		auth     string
		from     string // CapabilityDetails.From
		want     []string
	}{
		{"greeting with caps", withCaps, TLSImplicit, "", "greeting",
			[]string{"AUTHENTICATE", "LIST", "EXAMINE", "FETCH", "LOGOUT"}},
		{"greeting with caps, LOGIN", withCaps, TLSImplicit, "login", "greeting",
			[]string{"LOGIN", "LIST", "EXAMINE", "FETCH", "LOGOUT"}},
		{"bare greeting", "* OK ready", TLSImplicit, "", "command",
			[]string{"CAPABILITY", "AUTHENTICATE", "LIST", "EXAMINE", "FETCH", "LOGOUT"}},
		{"a [CAPABILITY] code without IMAP4rev1 is not a list", "* OK [CAPABILITY AUTH=PLAIN] ready", TLSImplicit, "", "command",
			[]string{"CAPABILITY", "AUTHENTICATE", "LIST", "EXAMINE", "FETCH", "LOGOUT"}},
		{"STARTTLS asks again after TLS", "* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready", TLSStartTLS, "", "greeting",
			[]string{"STARTTLS", "CAPABILITY", "AUTHENTICATE", "LIST", "EXAMINE", "FETCH", "LOGOUT"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := &pt.Server{Pass: testPass, Greeting: tc.greeting}
			if tc.mode == TLSImplicit {
				srv.Implicit = goodTLS(t)
			} else {
				srv.StartTLS = goodTLS(t)
			}
			srv.Start(t)
			o := baseOptions(t)
			o.Auth = tc.auth
			r := Probe(context.Background(), target(srv, tc.mode), o)
			if r.Result == nil || r.Result.Status != StatusOK {
				t.Fatalf("result %+v, want OK", r.Result)
			}
			if got := srv.Commands(); !slices.Equal(got, tc.want) {
				t.Errorf("commands %q, want %q", got, tc.want)
			}
			if d := r.Step(StepCapability).Details.(*CapabilityDetails); d.From != tc.from || !slices.Contains(d.Capabilities, "IMAP4rev1") {
				t.Errorf("capability step: %+v, want from %q with IMAP4rev1", d, tc.from)
			}
		})
	}
}
