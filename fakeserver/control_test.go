package fakeserver_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/imapprobe/imapprobe/fakeserver"
)

// TestControlBodyForms: POST /faults takes text specs or JSON whatever the
// client's content type, as curl --data sends a form type by default.
func TestControlBodyForms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, contentType, body string
		wantStatus              int
		wantSpecs               string
	}{
		{"text/plain", "text/plain", "delay:SELECT=2s\n# comment\nreply:LIST=NO [SERVERBUG] x\n", http.StatusOK, "delay:SELECT=2s|reply:LIST=NO [SERVERBUG] x"},
		{"curl form, spec", "application/x-www-form-urlencoded", "drop:FETCH+120", http.StatusOK, "drop:FETCH+120"},
		{"curl form, JSON", "application/x-www-form-urlencoded", ` [{"kind":"greeting","variant":"bye"}]`, http.StatusOK, "greeting:bye"},
		{"no type, JSON object", "", `{"faults":["cert:expired"]}`, http.StatusOK, "cert:expired"},
		{"application/json", "application/json", `["caps:-STARTTLS"]`, http.StatusOK, "caps:-STARTTLS"},
		{"application/json, not JSON", "application/json", "caps:-STARTTLS", http.StatusBadRequest, ""},
		{"bad spec", "application/x-www-form-urlencoded", "delya:SELECT=1s", http.StatusBadRequest, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := fakeserver.New(t)
			req := httptest.NewRequest(http.MethodPost, "/faults", strings.NewReader(tc.body))
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			rec := httptest.NewRecorder()
			srv.ControlHandler().ServeHTTP(rec, req)
			if rec.Code != tc.wantStatus {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.wantStatus, rec.Body)
			}
			if tc.wantStatus == http.StatusOK {
				if got := strings.Join(srv.Faults().Specs(), "|"); got != tc.wantSpecs {
					t.Errorf("faults = %q, want %q", got, tc.wantSpecs)
				}
			}
		})
	}
}
