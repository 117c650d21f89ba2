package prober

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	pt "github.com/imapprobe/imapprobe/prober/probertest"
)

// TestEchoedSecretNeverInReport: a broken server echoes the password, in
// other case and encodings, in every place that reaches the report's
// details: capabilities after auth, mailbox and special-use names, flags,
// the subject, the sender and the Message-ID.
func TestEchoedSecretNeverInReport(t *testing.T) {
	t.Parallel()
	const canary = "Canary-Pw-7731"
	up, low := strings.ToUpper(canary), strings.ToLower(canary)
	msg := fmt.Sprintf("From: %s@example.com\r\nSubject: %s\r\nMessage-ID: <%s@example.com>\r\n\r\nHi.\r\n", low, up, canary)
	srv := (&pt.Server{Pass: canary, Implicit: goodTLS(t), Mailboxes: []string{"INBOX", low, up + "/Sub"}, Message: msg,
		Handlers: map[string]pt.Handler{
			"AUTHENTICATE": func(c *pt.Conv, tag, _ string) bool {
				c.Send(tag + " OK [CAPABILITY IMAP4rev1 X-" + up + "] authenticated")
				return true
			},
			"LIST": func(c *pt.Conv, tag, _ string) bool {
				c.Send(`* LIST (\Sent) "/" "`+low+`"`, `* LIST (\Archive) "/" "`+up+`/Sub"`, `* LIST () "/" INBOX`, tag+" OK done")
				return true
			},
			"EXAMINE": pt.Answer(`* FLAGS (\Seen `+up+`)`, `* OK [PERMANENTFLAGS (`+low+`)] ok`, "* 1 EXISTS", "* OK [UIDVALIDITY 1] ok", "TAG OK [READ-ONLY] done"),
			"FETCH": func(c *pt.Conv, tag, args string) bool {
				c.Send(fmt.Sprintf(`* 1 FETCH (UID 7 FLAGS (%s) RFC822.SIZE %d ENVELOPE (NIL %q (("%s" NIL %q "example.com")) NIL NIL NIL NIL NIL NIL "<%s@example.com>") BODY[]<0> {%d}`,
					up, len(msg), up, canary, low, canary, len(msg)))
				_, _ = fmt.Fprint(c.Writer(), msg)
				c.Send(")", tag+" OK FETCH done")
				return true
			},
		}}).Start(t)
	o := baseOptions(t)
	o.Password = canary
	r := Probe(context.Background(), target(srv, TLSImplicit), o)
	assertOK(t, r)
	out, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ToLower(string(out))
	for _, form := range []string{low, strings.ToLower(base64.StdEncoding.EncodeToString([]byte(canary)))} {
		if i := strings.Index(text, form); i >= 0 {
			t.Errorf("the report holds %q: …%s…", form, out[max(0, i-80):min(len(out), i+80)])
		}
	}
}

// TestCredentialPrecedence: a stale token beside a valid password does not
// shadow it where the server takes no OAuth, and the report says which
// credential was sent.
func TestCredentialPrecedence(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, caps, auth, step string
		code                   Code
		credential             string
	}{
		{"server takes only PLAIN: the password", "IMAP4rev1 AUTH=PLAIN SASL-IR", "", "", "", "password"},
		{"server takes OAuth too: the token", "IMAP4rev1 AUTH=PLAIN AUTH=OAUTHBEARER SASL-IR", "", StepAuth, "auth.token_rejected", "token"},
		{"explicit --auth plain wins", "IMAP4rev1 AUTH=PLAIN AUTH=OAUTHBEARER SASL-IR", "plain", "", "", "password"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := (&pt.Server{Pass: testPass, Token: "fresh-token", Caps: tc.caps, Implicit: goodTLS(t)}).Start(t)
			o := baseOptions(t)
			o.Token, o.Auth = "stale-token", tc.auth
			r := Probe(context.Background(), target(srv, TLSImplicit), o)
			if step, code := r.Failure(); step != tc.step || code != tc.code {
				t.Fatalf("failure %s/%s, want %s/%s", step, code, tc.step, tc.code)
			}
			st := r.Step(StepAuth)
			if got := st.Details.(*AuthDetails).Credential; got != tc.credential {
				t.Errorf("credential %q, want %q", got, tc.credential)
			}
			want := "a password and a token were both given; the " + tc.credential + " was used (choose with --auth)"
			if st.Note != want {
				t.Errorf("note %q, want %q", st.Note, want)
			}
		})
	}
}

// probeTokenChallenge probes with token a server that answers it with
// challenge and a NO, checks the diagnosis, and returns the report and its
// JSON.
func probeTokenChallenge(t *testing.T, token, challenge string) (*Report, []byte) {
	t.Helper()
	srv := tokenErrorServer(t, challenge).Start(t)
	o := baseOptions(t)
	o.Password, o.Token = "", token
	r := Probe(context.Background(), target(srv, TLSImplicit), o)
	assertFailure(t, r, StepAuth, "auth.token_rejected")
	out, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return r, out
}

// TestTokenErrorNeverHoldsTheToken: a server that quotes the token in its
// OAuth error challenge, as a JSON key, escaped, or deep in raw text past
// the 4 KiB the report keeps, never gets it into the report.
func TestTokenErrorNeverHoldsTheToken(t *testing.T) {
	t.Parallel()
	const token = "Tok-Canary/0815"
	cases := map[string]string{
		"token as a JSON key":        `{"` + token + `":"x","status":"invalid_token"}`,
		"token with \\/ in a value":  `{"status":"invalid_token","token":"Tok-Canary\/0815"}`,
		"upper-cased in raw text":    "not json " + strings.ToUpper(token),
		"raw text, token after 4096": strings.Repeat("x", 4090) + token + strings.Repeat("y", 100),
	}
	for name, challenge := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, out := probeTokenChallenge(t, token, challenge)
			low := strings.ToLower(string(out))
			for _, form := range []string{strings.ToLower(token), "tok-canary", strings.ToLower(base64.StdEncoding.EncodeToString([]byte(token)))} {
				if i := strings.Index(low, form); i >= 0 {
					t.Errorf("the report holds %q: …%s…", form, out[max(0, i-60):min(len(out), i+60)])
				}
			}
		})
	}
}
