package prober

import (
	"cmp"
	"context"
	"encoding/base64"
	"net"
	"strings"
	"testing"

	pt "github.com/imapprobe/imapprobe/prober/probertest"
)

// TestHintsFromRealServers replays what Cyrus 3.6 and Dovecot 2.3 really
// say in each situation and checks the diagnosis and its hint.
func TestHintsFromRealServers(t *testing.T) {
	t.Parallel()
	noList := func(c *pt.Conv, tag, _ string) bool { c.Send(tag + " OK Completed (0.000 secs 0 calls)"); return true }
	longScope := "https://mail.example.com/imap https://mail.example.com/smtp https://mail.example.com/pop https://www.example.com/auth/userinfo.email"
	tokenJSON := base64.StdEncoding.EncodeToString([]byte(`{"status":"invalid_token","scope":"` + longScope + `","schemes":"Bearer"}`))
	cases := []struct {
		name    string
		srv     func(t *testing.T) *pt.Server
		opts    func(*Options)
		mode    TLSMode
		step    string
		code    Code
		summary string // "" means the catalog's
		hint    string // a phrase the hint must hold
		notHint string // one it must not
		detail  string // a phrase the detail must hold
	}{
		{name: "Cyrus: a user with no mailboxes at all", srv: func(t *testing.T) *pt.Server {
			return &pt.Server{Pass: testPass, Implicit: goodTLS(t), Handlers: map[string]pt.Handler{
				"LIST": noList, "EXAMINE": pt.Answer("TAG NO Mailbox does not exist")}}
		}, step: StepSelect, code: "mailbox.not_found", hint: "no mailbox at all, not even INBOX", notHint: "Closest"},
		{name: "Dovecot: a user with no mailboxes at all", srv: func(t *testing.T) *pt.Server {
			return &pt.Server{Pass: testPass, Implicit: goodTLS(t), Handlers: map[string]pt.Handler{
				"LIST": noList, "EXAMINE": pt.Answer("TAG NO [NONEXISTENT] Mailbox doesn't exist: INBOX")}}
		}, step: StepSelect, code: "mailbox.not_found", hint: "autocreation"},
		{name: "Cyrus: maintenance BYE [ALERT] as the greeting", srv: func(t *testing.T) *pt.Server {
			return &pt.Server{Greeting: "* BYE [ALERT] Maintenance until 18:00 UTC", Implicit: goodTLS(t)}
		}, step: StepGreeting, code: "greeting.bye", summary: "the server says: Maintenance until 18:00 UTC",
			hint: "planned maintenance", notHint: "connection"},
		{name: "Cyrus: maintenance BYE [ALERT] after login", srv: func(t *testing.T) *pt.Server {
			return &pt.Server{Pass: testPass, Implicit: goodTLS(t), Handlers: map[string]pt.Handler{
				"LIST": pt.HangUp("* BYE [ALERT] Maintenance until 18:00 UTC")}}
		}, step: StepList, code: "list.dropped", summary: "the server says: Maintenance until 18:00 UTC",
			hint: "planned maintenance", notHint: "limit"},
		{name: "Dovecot killed mid-session: closed without BYE", srv: func(t *testing.T) *pt.Server {
			return &pt.Server{Pass: testPass, Implicit: goodTLS(t), Handlers: map[string]pt.Handler{"LIST": pt.HangUp()}}
		}, step: StepList, code: "list.dropped", hint: "without a BYE", notHint: "Read the BYE"},
		{name: "a TLS port whose imapd dies on every connection", srv: func(t *testing.T) *pt.Server {
			return &pt.Server{Raw: func(c net.Conn) {
				_ = c.(*net.TCPConn).SetLinger(0) // close with RST
			}}
		}, step: StepConnect, code: "tcp.reset", hint: "crashes on every connection"},
		{name: "Gmail-style token error: status and scope whole", srv: func(t *testing.T) *pt.Server {
			return &pt.Server{Implicit: goodTLS(t), Caps: "IMAP4rev1 AUTH=XOAUTH2 SASL-IR", Handlers: map[string]pt.Handler{
				"AUTHENTICATE": func(c *pt.Conv, tag, _ string) bool {
					c.Send("+ " + tokenJSON)
					if _, err := c.ReadLine(); err != nil {
						return false
					}
					c.Send(tag + " NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)")
					return true
				}}}
		}, opts: func(o *Options) { o.Password, o.Token = "", "tok-canary" }, step: StepAuth, code: "auth.token_rejected",
			detail: `token error: "status=invalid_token scope=` + longScope + ` schemes=Bearer"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := tc.srv(t).Start(t)
			o := baseOptions(t)
			if tc.opts != nil {
				tc.opts(&o)
			}
			r := Probe(context.Background(), target(srv, cmp.Or(tc.mode, TLSImplicit)), o)
			assertFailure(t, r, tc.step, tc.code)
			d := r.Step(tc.step).Diagnosis
			if want := cmp.Or(tc.summary, catalog()[tc.code].Summary); d.Summary != want {
				t.Errorf("summary %q, want %q", d.Summary, want)
			}
			if !strings.Contains(d.Hint, tc.hint) || tc.notHint != "" && strings.Contains(d.Hint, tc.notHint) {
				t.Errorf("hint %q: want %q, not %q", d.Hint, tc.hint, tc.notHint)
			}
			if !strings.Contains(d.Detail, tc.detail) {
				t.Errorf("detail %q, want %q", d.Detail, tc.detail)
			}
		})
	}
}
