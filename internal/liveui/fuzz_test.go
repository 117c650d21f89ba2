package liveui

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/imapprobe/imapprobe/prober"
)

// FuzzProbeForm: whatever the form holds, the handler answers without a
// 5xx, never quotes the secret, and probes only what parse accepted.
func FuzzProbeForm(f *testing.F) {
	f.Add("imaps://alice@127.0.0.1:1/INBOX", "", "", "", "pw-canary-f00d", []byte(nil))
	f.Add("imaps://alice:pw-canary-f00d@127.0.0.1/INBOX", "starttls", "plain", "Sent", "pw-canary-f00d", []byte("-----BEGIN CERTIFICATE-----\n"))
	f.Add("imap://pw-canary-f00d@h/%ZZ", "none", "xoauth2", "", "pw-canary-f00d", []byte{0xff})
	u := New(Options{Probe: func(_ context.Context, t prober.Target, o prober.Options) *prober.Report {
		r := &prober.Report{Target: t}
		r.Result = r.Verdict(false)
		return r
	}})
	h := u.Handler()
	f.Fuzz(func(t *testing.T, rawURL, mode, auth, mailbox, secret string, ca []byte) {
		if len(secret) < 8 {
			return // a short secret turns up in any text by chance
		}
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField(FieldURL, rawURL)
		mw.WriteField(FieldTLS, mode)
		mw.WriteField(FieldAuth, auth)
		mw.WriteField(FieldMailbox, mailbox)
		mw.WriteField(FieldSecret, secret)
		if ca != nil {
			fw, _ := mw.CreateFormFile(FieldCA, "ca.pem")
			fw.Write(ca)
		}
		mw.Close()
		req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/ui/probe", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set(Header, "1")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		if w.Code != http.StatusOK && strings.Contains(w.Body.String(), secret) {
			t.Fatalf("a refusal quotes the secret: %q", w.Body)
		}
	})
}
