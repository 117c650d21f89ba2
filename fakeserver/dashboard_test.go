package fakeserver_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/imapprobe/imapprobe/fakeserver"
)

// controlRequest sends one request to a control handler as a browser on
// the API's own address would, with the given extra headers.
func controlRequest(t *testing.T, h http.Handler, method, path, body string, headers map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Host = "127.0.0.1:8143"
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestDashboardServed: the page and its two files come from the binary,
// exactly as written, with a policy that keeps them to their own origin.
func TestDashboardServed(t *testing.T) {
	t.Parallel()
	h := fakeserver.New(t).ControlHandler()
	tests := []struct{ path, file, contentType string }{
		{"/", "dashboard/index.html", "text/html; charset=utf-8"},
		{"/ui", "dashboard/index.html", "text/html; charset=utf-8"},
		{"/ui/dashboard.css", "dashboard/dashboard.css", "text/css; charset=utf-8"},
		{"/ui/dashboard.js", "dashboard/dashboard.js", "text/javascript; charset=utf-8"},
		{"/ui/", "", ""},
		{"/index.html", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			t.Parallel()
			rec := controlRequest(t, h, http.MethodGet, tc.path, "", nil)
			if tc.file == "" {
				if rec.Code != http.StatusNotFound {
					t.Errorf("status %d, want 404", rec.Code)
				}
				return
			}
			want, err := os.ReadFile(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			if rec.Code != http.StatusOK || rec.Body.String() != string(want) {
				t.Fatalf("status %d, body of %d bytes; want 200 and %s's %d bytes", rec.Code, rec.Body.Len(), tc.file, len(want))
			}
			for k, v := range map[string]string{
				"Content-Type":            tc.contentType,
				"Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'",
				"X-Frame-Options":         "DENY",
				"X-Content-Type-Options":  "nosniff",
			} {
				if got := rec.Header().Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

// TestDashboardGuard: the page loads without the token (it holds no
// data) but nothing else does; its own requests pass the guard, and the
// same change from another origin, or as a plain form post, is refused.
func TestDashboardGuard(t *testing.T) {
	t.Parallel()
	const origin = "http://127.0.0.1:8143"
	page := map[string]string{"Origin": origin, "Sec-Fetch-Site": "same-origin", fakeserver.ControlHeader: "1",
		"Content-Type": "text/plain", "Authorization": "Bearer tok"}
	without := func(drop string, set ...string) map[string]string {
		h := map[string]string{}
		for k, v := range page {
			if k != drop {
				h[k] = v
			}
		}
		for i := 0; i+1 < len(set); i += 2 {
			h[set[i]] = set[i+1]
		}
		return h
	}
	tests := []struct {
		name, method, path string
		headers            map[string]string
		want               int
	}{
		{"page without token", http.MethodGet, "/ui", map[string]string{"Sec-Fetch-Site": "none"}, http.StatusOK},
		{"script without token", http.MethodGet, "/ui/dashboard.js", map[string]string{"Sec-Fetch-Site": "same-origin"}, http.StatusOK},
		{"faults without token", http.MethodGet, "/faults", without("Authorization"), http.StatusUnauthorized},
		{"post to the page without token", http.MethodPost, "/ui", without("Authorization"), http.StatusUnauthorized},
		{"page's add", http.MethodPost, "/faults", page, http.StatusOK},
		{"page's add, another origin", http.MethodPost, "/faults", without("", "Origin", "http://evil.example"), http.StatusForbidden},
		{"page's add, cross-site", http.MethodPost, "/faults", without("Origin", "Sec-Fetch-Site", "cross-site"), http.StatusForbidden},
		{"form post, no control header", http.MethodPost, "/faults", without(fakeserver.ControlHeader), http.StatusForbidden},
		{"page framed or linked cross-site", http.MethodGet, "/ui", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"page under a rebound name", http.MethodGet, "/ui", map[string]string{"Host": "evil.example:8143"}, http.StatusForbidden},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := fakeserver.New(t)
			h := srv.ControlHandler(fakeserver.WithControlToken("tok"))
			req := httptest.NewRequest(tc.method, tc.path, strings.NewReader("greeting:bye"))
			req.Host = "127.0.0.1:8143"
			for k, v := range tc.headers {
				if k == "Host" {
					req.Host = v
					continue
				}
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.want, rec.Body)
			}
			wantFaults := 0
			if tc.want == http.StatusOK && tc.method == http.MethodPost {
				wantFaults = 1
			}
			if n := len(srv.Faults()); n != wantFaults {
				t.Errorf("%d faults active, want %d", n, wantFaults)
			}
		})
	}
}

// TestDashboardSources: the page fetches nothing from elsewhere, and its
// script puts server text (specs, transcripts: anything a client sent) in
// through textContent only, never as HTML.
func TestDashboardSources(t *testing.T) {
	t.Parallel()
	sinks := regexp.MustCompile(`innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function|setTimeout\("`)
	external := regexp.MustCompile(`(?i)(?:https?:)?//[a-z0-9]|@import|url\(`)
	for _, f := range []string{"dashboard/index.html", "dashboard/dashboard.css", "dashboard/dashboard.js"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text := regexp.MustCompile(`(?m)^\s*//.*$`).ReplaceAllString(string(b), "") // JS line comments
		if m := sinks.FindString(text); m != "" {
			t.Errorf("%s uses %s", f, m)
		}
		if m := external.FindString(text); m != "" {
			t.Errorf("%s refers to %q: the page must work offline", f, m)
		}
	}
}
