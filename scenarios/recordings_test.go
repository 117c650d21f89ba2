package scenarios

import (
	"context"
	"strings"
	"testing"

	"github.com/imapprobe/imapprobe/recording"
)

// TestRecordingScenarios: every checked-in recording runs as a scenario
// and its replay gives the verdict it records.
func TestRecordingScenarios(t *testing.T) {
	t.Parallel()
	all, err := FromRecordings("testdata/recordings")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) == 0 {
		t.Fatal("no recordings in testdata/recordings")
	}
	for _, s := range all {
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			res, err := Run(context.Background(), s)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Match {
				t.Errorf("got %+v, want %+v", res.Got, s.Want)
			}
		})
	}
	gmail := all[0]
	if gmail.Name != "gmail-app-password" || gmail.Want.Step != "auth" || gmail.Want.Code != "auth.failed" {
		t.Errorf("first scenario %s wants %s %s", gmail.Name, gmail.Want.Step, gmail.Want.Code)
	}
}

// TestRecordingScenarioMismatch: a recording whose step lines claim
// another verdict than its transcript gives does not match.
func TestRecordingScenarioMismatch(t *testing.T) {
	t.Parallel()
	rec, err := recording.Decode(strings.NewReader(recording.Header + `
tls implicit
user alice
step auth fail auth.expired
S 0.001 * OK ready
C 0.002 P1 CAPABILITY
S 0.003 * CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR
S 0.003 P1 OK done
C 0.004 P2 AUTHENTICATE PLAIN [redacted]
S 0.005 P2 NO [AUTHENTICATIONFAILED] Authentication failed.
`))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), FromRecording("claims-expired", rec))
	if err != nil {
		t.Fatal(err)
	}
	if res.Match || res.Got.Code != "auth.failed" {
		t.Errorf("match %v, got %+v", res.Match, res.Got)
	}
}
