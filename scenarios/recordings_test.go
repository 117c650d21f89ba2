package scenarios

import (
	"context"
	"strings"
	"testing"

	"github.com/imapprobe/imapprobe/recording"
)

// TestRecordingScenarios: every checked-in recording, loaded from its
// directory as imapprobe demo --recordings does, runs as a scenario and
// its replay gives the verdict it records.
func TestRecordingScenarios(t *testing.T) {
	t.Parallel()
	all, err := FromRecordings("recordings")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 4 {
		t.Fatalf("%d recordings in recordings/, want 4", len(all))
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
	gmail := all[3]
	if gmail.Name != "gmail-app-password" || gmail.Want.Step != "auth" || gmail.Want.Code != "auth.failed" {
		t.Errorf("first scenario %s wants %s %s", gmail.Name, gmail.Want.Step, gmail.Want.Code)
	}
}

// TestRecordedCatalog: the kept recordings are in All, once each, with
// the story recordedSituations tells and the verdict they record.
func TestRecordedCatalog(t *testing.T) {
	t.Parallel()
	want := map[string]string{
		"dovecot-acl-denied":     "select mailbox.no_permission",
		"dovecot-fetch-cut":      "fetch fetch.dropped",
		"dovecot-wrong-password": "auth auth.failed",
		"gmail-app-password":     "auth auth.failed",
	}
	got := map[string]string{}
	for _, s := range All() {
		if s.Recording == nil {
			continue
		}
		if _, dup := got[s.Name]; dup {
			t.Errorf("%s twice in All", s.Name)
		}
		got[s.Name] = s.Want.Step + " " + string(s.Want.Code)
		if s.Situation != recordedSituations[s.Name] || s.Situation == "" {
			t.Errorf("%s: situation %q, want recordedSituations'", s.Name, s.Situation)
		}
	}
	if len(got) != len(want) || len(recordedSituations) != len(want) {
		t.Errorf("recorded scenarios %v (%d situations), want %v", got, len(recordedSituations), want)
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s wants %q, want %q", name, got[name], w)
		}
	}
	if _, err := Find("dovecot-fetch-cut"); err != nil {
		t.Errorf("Find: %v", err)
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
