package liveui

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/faults"
	"github.com/imapprobe/imapprobe/prober"
)

const canary = "Live-canary-pw-7e57ab1e"

// TestProbeStream: a POST of the form probes the fake under a fault and
// streams one step event per step, in order, then the result with the
// exact code, the rendered card and the JSON; the password is in no byte
// of the answer and no log line.
func TestProbeStream(t *testing.T) {
	t.Parallel()
	srv := fakeserver.New(t, fakeserver.WithUser("alice", canary),
		fakeserver.WithFaults(faults.MustParse("reply:EXAMINE=NO [NONEXISTENT] no such mailbox")))
	r := newRig(t, Options{})
	ct, body := form(t, map[string]string{FieldURL: "imaps://alice@" + srv.Addr() + "/INBOX", FieldSecret: canary}, srv.CACertPEM())
	status, got := r.do(t, http.MethodPost, "/ui/probe", ct, body, nil)
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, got)
	}
	names, data := events(got)
	if len(names) != len(prober.Steps)+1 {
		t.Fatalf("%d events %q, want %d steps and a result", len(names), names, len(prober.Steps))
	}
	for i, step := range prober.Steps {
		var ev struct{ Name, Status, Code string }
		if err := json.Unmarshal([]byte(data[i]), &ev); err != nil || names[i] != "step" || ev.Name != step {
			t.Fatalf("event %d: %s %s (%v), want step %s", i, names[i], data[i], err, step)
		}
		if step == prober.StepSelect && (ev.Status != "fail" || ev.Code != "mailbox.not_found") {
			t.Errorf("select event %+v, want fail mailbox.not_found", ev)
		}
	}
	var res struct {
		Status, Step, Code, HTML string
		ExitCode                 int `json:"exit_code"`
		Report                   prober.Report
	}
	if err := json.Unmarshal([]byte(data[len(data)-1]), &res); err != nil || names[len(names)-1] != "result" {
		t.Fatalf("last event %s %.200s: %v", names[len(names)-1], data[len(data)-1], err)
	}
	info, _ := prober.Lookup("mailbox.not_found")
	if res.Status != "fail" || res.Step != "select" || res.Code != "mailbox.not_found" || res.ExitCode != info.ExitCode {
		t.Errorf("result %s at %s (%s) exit %d, want fail at select (mailbox.not_found)", res.Status, res.Step, res.Code, res.ExitCode)
	}
	if !strings.Contains(res.HTML, `id="diagnosis" class="card fail" data-code="mailbox.not_found"`) || !strings.Contains(res.HTML, `data-step="select" data-failing="true"`) {
		t.Errorf("the fragment lacks the card or the failing step:\n%.600s", res.HTML)
	}
	if s, c := res.Report.Failure(); s != "select" || c != "mailbox.not_found" {
		t.Errorf("the JSON report fails at %s (%s)", s, c)
	}
	for where, text := range map[string]string{"the answer": got, "the logs": r.logs.String()} {
		if strings.Contains(text, canary) || strings.Contains(text, url.QueryEscape(canary)) {
			t.Errorf("%s hold the password", where)
		}
	}
	if !strings.Contains(r.logs.String(), "code=mailbox.not_found") {
		t.Errorf("the log does not record the probe:\n%s", r.logs.String())
	}
}

// TestRefusals: what the page refuses, with the exact status, before any
// probe runs; and a refusal never quotes the secret.
func TestRefusals(t *testing.T) {
	t.Parallel()
	r := newRig(t, Options{Probe: func(_ context.Context, _ prober.Target, _ prober.Options) *prober.Report {
		t.Error("a refused request ran a probe")
		return &prober.Report{}
	}})
	fields := func(kv ...string) map[string]string {
		m := map[string]string{FieldURL: "imaps://alice@127.0.0.1:1/INBOX", FieldSecret: canary}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == "" {
				delete(m, kv[i])
			} else {
				m[kv[i]] = kv[i+1]
			}
		}
		return m
	}
	bigCA := []byte(strings.Repeat("A", MaxCAFile+1))
	for _, tc := range []struct {
		name    string
		method  string
		fields  map[string]string
		ca      []byte
		header  http.Header
		status  int
		message string
	}{
		{"GET", http.MethodGet, nil, nil, nil, http.StatusMethodNotAllowed, "/ui/probe takes POST"},
		{"PUT", http.MethodPut, fields(), nil, nil, http.StatusMethodNotAllowed, "/ui/probe takes POST"},
		{"no page header", http.MethodPost, fields(), nil, http.Header{Header: {""}}, http.StatusForbidden, "refused: a POST needs the header X-Imapprobe-UI: 1"},
		{"cross origin", http.MethodPost, fields(), nil, http.Header{"Origin": {"http://evil.example"}}, http.StatusForbidden, "refused: cross-origin request"},
		{"cross site", http.MethodPost, fields(), nil, http.Header{"Sec-Fetch-Site": {"cross-site"}}, http.StatusForbidden, "refused: cross-origin request"},
		{"rebound host", http.MethodPost, fields(), nil, http.Header{"Host": {"evil.example"}}, http.StatusForbidden, "refused: Host is not this page's address"},
		{"CA too big", http.MethodPost, fields(), bigCA, nil, http.StatusRequestEntityTooLarge, "over the"},
		{"body too big", http.MethodPost, fields(FieldMailbox, strings.Repeat("x", MaxBody)), nil, nil, http.StatusRequestEntityTooLarge, "-byte limit"},
		{"CA not PEM", http.MethodPost, fields(), []byte("hello"), nil, http.StatusBadRequest, "CA file holds no PEM certificate"},
		{"password in URL", http.MethodPost, fields(FieldURL, "imaps://alice:"+canary+"@127.0.0.1/INBOX"), nil, nil, http.StatusBadRequest, "URL: password in URL refused: remove it from the URL and type it in the password field"},
		{"secret in the URL field", http.MethodPost, fields(FieldURL, canary), nil, nil, http.StatusBadRequest, `URL: "[redacted]" is not a URL`},
		{"no secret", http.MethodPost, fields(FieldSecret, ""), nil, nil, http.StatusBadRequest, "the password or token is empty"},
		{"no user", http.MethodPost, fields(FieldURL, "imaps://127.0.0.1/INBOX"), nil, nil, http.StatusBadRequest, "URL: no user"},
		{"bad mechanism", http.MethodPost, fields(FieldAuth, "cram-md5"), nil, nil, http.StatusBadRequest, "auth mechanism: want login"},
		{"bad TLS mode", http.MethodPost, fields(FieldTLS, "ssl"), nil, nil, http.StatusBadRequest, "TLS mode: "},
		{"unknown field", http.MethodPost, fields("pasword", canary), nil, nil, http.StatusBadRequest, "unknown form field"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ct, body := form(t, tc.fields, tc.ca)
			if tc.fields == nil {
				ct, body = "", nil
			}
			req, _ := http.NewRequestWithContext(t.Context(), tc.method, r.srv.URL+"/ui/probe", body)
			req.Header.Set(Header, "1")
			req.Header.Set("Content-Type", ct)
			for k, v := range tc.header {
				req.Header[k] = v
			}
			if h := tc.header.Get("Host"); h != "" {
				req.Host = h
			}
			resp, err := r.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var b strings.Builder
			_, _ = io.Copy(&b, resp.Body)
			if resp.StatusCode != tc.status || !strings.Contains(b.String(), tc.message) {
				t.Errorf("got %d %q, want %d with %q", resp.StatusCode, b.String(), tc.status, tc.message)
			}
			if strings.Contains(b.String(), canary) || strings.Contains(r.logs.String(), canary) {
				t.Errorf("the answer or the log quotes the password")
			}
		})
	}
}

// TestQueryRefused: even a POST may not carry fields in the URL.
func TestQueryRefused(t *testing.T) {
	t.Parallel()
	r := newRig(t, Options{})
	ct, body := form(t, map[string]string{FieldURL: "imaps://alice@127.0.0.1:1/"}, nil)
	if status, got := r.do(t, http.MethodPost, "/ui/probe?secret=x", ct, body, nil); status != http.StatusBadRequest || !strings.Contains(got, "no query string") {
		t.Errorf("got %d %q, want 400 no query string", status, got)
	}
}

// TestStatic: the page and its files, with the policy; with a token, the
// files need none but the probe does.
func TestStatic(t *testing.T) {
	t.Parallel()
	r := newRig(t, Options{Token: "page-token"})
	for _, path := range []string{"/ui", "/ui/ui.js", "/ui/ui.css", "/ui/report.css"} {
		resp, err := r.srv.Client().Get(r.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Security-Policy") != Policy {
			t.Errorf("GET %s: %d, CSP %q", path, resp.StatusCode, resp.Header.Get("Content-Security-Policy"))
		}
	}
	ct, body := form(t, map[string]string{FieldURL: "imaps://alice@127.0.0.1:1/", FieldSecret: canary}, nil)
	if status, got := r.do(t, http.MethodPost, "/ui/probe", ct, body, http.Header{"Authorization": {"Bearer wrong"}}); status != http.StatusUnauthorized {
		t.Errorf("wrong token: %d %q, want 401", status, got)
	}
	// The right token gets past the guard, to the form's checks.
	ct, body = form(t, map[string]string{FieldURL: "imaps://alice@127.0.0.1:1/"}, nil)
	if status, got := r.do(t, http.MethodPost, "/ui/probe", ct, body, http.Header{"Authorization": {"Bearer page-token"}}); status != http.StatusBadRequest || got != "the password or token is empty\n" {
		t.Errorf("right token: %d %q, want 400 the password or token is empty", status, got)
	}
}
