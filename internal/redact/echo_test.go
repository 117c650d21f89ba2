package redact

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/imapprobe/imapprobe/internal/authmech"
)

// TestEchoShapes: a secret a broken server echoes in another case, inside
// JSON with escapes, in a continuation outside SASL, or a LOGIN written
// with tabs, never survives.
func TestEchoShapes(t *testing.T) {
	t.Parallel()
	const user, secret = "a,b=c", "Echo-Canary/42"
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	cases := []struct {
		name string
		side Side
		line string
	}{
		{"upper-cased in capabilities", Server, "T1 OK [CAPABILITY IMAP4rev1 X-" + strings.ToUpper(secret) + "] in"},
		{"lower-cased in a mailbox name", Server, `* LIST () "/" "` + strings.ToLower(secret) + `"`},
		{"JSON with \\/ escapes in a challenge", Server, "+ " + b64(`{"status":"invalid","token":"Echo-Canary\/42"}`)},
		{"JSON unicode escape in a key", Server, "+ " + b64(`{"Echo-Canary\u002f42":"x"}`)},
		{"base64 continuation answering LOGIN", Server, "+ " + b64(secret)},
		{"LOGIN with tabs", Client, "a LOGIN\talice\t" + "s3cr3t-not-seeded"},
		{"LOGIN with a tab before the password", Client, "a LOGIN alice\ts3cr3t-not-seeded x"},
		{"LOGIN with double spaces", Client, "a  LOGIN  alice  s3cr3t-not-seeded"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := NewSession(Encodings(user, secret)...)
			got := s.Line(tc.side, []byte(tc.line))
			low := strings.ToLower(got)
			for _, bad := range []string{strings.ToLower(secret), "s3cr3t-not-seeded", strings.ToLower(b64(secret))} {
				if strings.Contains(low, bad) {
					t.Errorf("Line(%q) = %q holds %q", tc.line, got, bad)
				}
			}
			if got := s.Scrub(strings.ToUpper(secret) + " and " + secret); got != Marker+" and "+Marker {
				t.Errorf("Scrub = %q", got)
			}
		})
	}
}

// TestEveryMechanismIsMasked: every wire form of every mechanism in the
// authmech table, base64 as it travels, is masked when echoed.
func TestEveryMechanismIsMasked(t *testing.T) {
	t.Parallel()
	const user, secret = "a,b=c", "mech-canary-77"
	s := NewSession(Encodings(user, secret)...)
	for _, m := range authmech.All {
		if m.Wire == nil {
			continue
		}
		for _, w := range m.Wire(user, secret) {
			enc := base64.StdEncoding.EncodeToString(w)
			if got := s.Line(Server, []byte("* BAD echo "+enc)); strings.Contains(got, enc) || strings.Contains(got, secret) {
				t.Errorf("%s: %q survived: %q", m.Name, enc, got)
			}
		}
	}
}
