package replay_test

import (
	"strings"
	"testing"

	"github.com/imapprobe/imapprobe/scenarios"
)

// notReplayable are the catalog scenarios a replay cannot reproduce, and
// why. The rest of the catalog must round-trip.
var notReplayable = map[string]string{
	"dns-typo":                  "DNS: the replay is reached by address",
	"server-down":               "TCP refused: the replay listens",
	"cert-expired":              "certificate faults: the replay's certificate is good",
	"cert-not-yet-valid":        "certificate",
	"cert-self-signed":          "certificate",
	"cert-wrong-host":           "certificate",
	"cert-unknown-ca":           "certificate",
	"cert-missing-intermediate": "certificate",
	"cert-expiring":             "certificate",
	"cert-expired-skip-verify":  "certificate",
	"starttls-cert-expired":     "certificate",
	"tls-legacy-only":           "TLS version: the replay speaks TLS 1.2 or 1.3",
	"tls-legacy-allowed":        "TLS version",
	"tls-no-common-cipher":      "TLS cipher suites",
	"tls-to-plaintext-port":     "TLS: the recording has no handshake to replay",
	"tls-handshake-stall":       "TLS: a handshake that never completed leaves no summary",
	"starttls-stall":            "TLS: a handshake that never completed",
	"starttls-plaintext":        "TLS: an OK to STARTTLS followed by plaintext",
	"fetch-lf-only":             "line ends: the transcript does not keep a bare LF",
}

// TestRoundTripCatalog: every other catalog scenario of the fake,
// recorded against it, replays to the same status and codes on every
// step. The catalog's recordings are replays already (TestMatrix).
func TestRoundTripCatalog(t *testing.T) {
	t.Parallel()
	seen := 0
	for _, s := range scenarios.All() {
		if s.Recording != nil {
			continue
		}
		if _, skip := notReplayable[s.Name]; skip {
			seen++
			continue
		}
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			orig, again, text, log, password := roundTrip(t, s)
			if w, g := strings.Join(verdicts(orig), ", "), strings.Join(verdicts(again), ", "); w != g {
				t.Errorf("replay verdicts differ:\n got %s\nwant %s\nrecording:\n%s\nlog:\n%s", g, w, text, log)
			}
			if strings.Contains(text, password) || strings.Contains(log, password) {
				t.Errorf("the recording or the replay log holds the password")
			}
		})
	}
	if seen != len(notReplayable) {
		t.Errorf("notReplayable names %d scenarios, %d are in the catalog", len(notReplayable), seen)
	}
}
