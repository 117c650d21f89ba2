package liveui

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/imapprobe/imapprobe/internal/redact"
	pt "github.com/imapprobe/imapprobe/prober/probertest"
)

// TestCanaryEcho: servers that take the secret, refuse it, or echo it
// back in their answer, probed through the page: no form of the secret
// (raw, base64, each mechanism's SASL message) is in any event the page
// streams, decoded from JSON and from HTML, nor in its log.
func TestCanaryEcho(t *testing.T) {
	t.Parallel()
	const user = "alice"
	pw, literal, token := "canary pw 3b1d", "canäry-pw-3b1d", "canary-token-3b1d"
	echoBack := func(c *pt.Conv, tag, args string) bool {
		c.Send(tag + " BAD invalid arguments: " + args) // a hostile server
		return true
	}
	oauth := "IMAP4rev1 AUTH=XOAUTH2 AUTH=OAUTHBEARER SASL-IR"
	for _, tc := range []struct {
		name, auth, secret string
		srv                *pt.Server
		code               string
	}{
		{"login ok", "login", pw, &pt.Server{Pass: pw, Caps: "IMAP4rev1"}, ""},
		{"login literal refused", "login", literal, &pt.Server{Pass: "x", Caps: "IMAP4rev1"}, "auth.failed"},
		{"login echoed", "login", pw, &pt.Server{Caps: "IMAP4rev1", Handlers: map[string]pt.Handler{"LOGIN": echoBack}}, ""},
		{"plain echoed", "", literal, &pt.Server{Handlers: map[string]pt.Handler{"AUTHENTICATE": echoBack}}, ""},
		{"xoauth2 echoed", "xoauth2", token, &pt.Server{Caps: oauth, Handlers: map[string]pt.Handler{"AUTHENTICATE": echoBack}}, ""},
		{"oauthbearer refused", "oauthbearer", token, &pt.Server{Token: "other", Caps: oauth}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.srv.Implicit = &tls.Config{Certificates: []tls.Certificate{pt.PKI(t).Good}}
			srv := tc.srv.Start(t)
			r := newRig(t, Options{})
			ct, body := form(t, map[string]string{FieldURL: fmt.Sprintf("imaps://%s@127.0.0.1:%d/INBOX", user, srv.Port()),
				FieldAuth: tc.auth, FieldSecret: tc.secret}, pt.PKI(t).CA.CertPEM())
			status, answer := r.do(t, http.MethodPost, "/ui/probe", ct, body, nil)
			names, data := events(answer)
			if status != http.StatusOK || len(names) == 0 || names[len(names)-1] != "result" {
				t.Fatalf("status %d, events %q: %.300s", status, names, answer)
			}
			var texts []string
			for _, d := range data {
				var v any
				if err := json.Unmarshal([]byte(d), &v); err != nil {
					t.Fatalf("event data %.100q: %v", d, err)
				}
				texts = append(texts, d, collect(v))
			}
			texts = append(texts, r.logs.String())
			all := strings.Join(texts, "\n")
			all += "\n" + html.UnescapeString(all)
			for _, enc := range redact.Encodings(user, tc.secret) {
				if strings.Contains(all, enc) {
					t.Errorf("the page's answer or log holds the secret, as %q", enc)
				}
			}
			// The echo happened, and reached the page masked.
			if strings.HasSuffix(tc.name, "echoed") && !regexp.MustCompile(`P\d BAD invalid arguments: [^"\n]*\[redacted\]`).MatchString(all) {
				t.Errorf("no masked echo in what the page shows:\n%.2000s", data[len(data)-1])
			}
			if tc.code != "" && !strings.Contains(data[len(data)-1], `"code":"`+tc.code+`"`) {
				t.Errorf("result %.200s, want code %s", data[len(data)-1], tc.code)
			}
		})
	}
}

// collect joins every string in a decoded JSON value.
func collect(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, collect(e))
		}
		return strings.Join(out, "\n")
	case map[string]any:
		var out []string
		for k, e := range v {
			out = append(out, k, collect(e))
		}
		return strings.Join(out, "\n")
	}
	return ""
}
