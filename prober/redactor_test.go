package prober

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/imapprobe/imapprobe/internal/redact"
)

// The cached patterns mask each credential set's own secrets, in their
// encodings, and a cached set hands out sessions of their own.
func TestRedactorPerCredentialSet(t *testing.T) {
	t.Parallel()
	const user = "alice@example.org"
	tests := []struct {
		name, password, token string
		masked, kept          []string
	}{
		{"password", "canary-pw-7f3a", "", []string{"canary-pw-7f3a", base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00canary-pw-7f3a"))}, []string{"canary-tok-91c2"}},
		{"other password", "canary-pw-0b8e", "", []string{"canary-pw-0b8e"}, []string{"canary-pw-7f3a"}},
		{"token", "", "canary-tok-91c2", []string{"canary-tok-91c2", "CANARY-TOK-91C2"}, []string{"canary-pw-7f3a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for range 2 { // built, then from the cache
				s := redactor(user, tt.password, tt.token)
				for _, m := range tt.masked {
					if got := s.Scrub("said " + m + " here"); got != "said "+redact.Marker+" here" {
						t.Errorf("Scrub(%q) = %q, want it masked", m, got)
					}
				}
				for _, k := range tt.kept {
					if got := s.Scrub("said " + k); got != "said "+k {
						t.Errorf("Scrub(%q) = %q: another set's secret was masked", k, got)
					}
				}
			}
		})
	}
}

// A session from the cache starts fresh: another probe's AUTHENTICATE in
// progress does not make this one mask every client line.
func TestRedactorSessionsIndependent(t *testing.T) {
	t.Parallel()
	a := redactor("bob", "canary-pw-c41d", "")
	if got := a.Line(redact.Client, []byte("A1 AUTHENTICATE PLAIN")); got != "A1 AUTHENTICATE PLAIN" {
		t.Fatalf("AUTHENTICATE line = %q", got)
	}
	b := redactor("bob", "canary-pw-c41d", "")
	if got := b.Line(redact.Client, []byte("B1 NOOP")); got != "B1 NOOP" {
		t.Errorf("fresh session masked %q: it shares the other's SASL state", got)
	}
	if got := a.Line(redact.Client, []byte("AGJvYgBjYW5hcnk=")); got != redact.Marker {
		t.Errorf("SASL response = %q, want it masked", got)
	}
}

// The cache holds at most maxRedactors sets: rotating tokens flush it
// rather than grow it.
func TestRedactorCacheBounded(t *testing.T) {
	for i := range 3 * maxRedactors {
		redactor("carol", fmt.Sprintf("rotating-%d", i), "")
	}
	redactors.Lock()
	n := len(redactors.m)
	redactors.Unlock()
	if n < 1 || n > maxRedactors {
		t.Fatalf("cache holds %d sets, want 1..%d", n, maxRedactors)
	}
	s := redactor("carol", "rotating-0", "") // flushed long ago: built again
	if got := s.Scrub("x rotating-0 y"); strings.Contains(got, "rotating-0") {
		t.Errorf("Scrub = %q after a flush", got)
	}
}
