package scenarios_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/prober"
	"github.com/imapprobe/imapprobe/scenarios"
)

// TestStateScenariosAct: in each state scenario the fault fires once
// and the server really makes the change (its transcript says what
// changed; an ok verdict alone would pass with a change never made), and
// the evidence shows it where the walk can see it.
func TestStateScenariosAct(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change string // the transcript's note of the change
		detail string // in the diagnosis
		check  func(t *testing.T, rep *prober.Report)
	}{
		{"mailbox-renamed-elsewhere", `state change: renamed "Sent" to "Sent Items"`, "NONEXISTENT", nil},
		{"mailbox-renamed-after-list", `state change: renamed "INBOX" to "Old INBOX"`, "NONEXISTENT", nil},
		{"message-expunged-before-fetch", `state change: expunged UID 3 from "INBOX"`,
			"the server returned no FETCH data for message 3", nil},
		{"new-mail-mid-session", `state change: delivered 2 to "INBOX" (UID 4:5)`, "", nil},
		{"flags-changed-elsewhere", `state change: flags of UID 1:3 in "INBOX": +[\Seen] -[]`, "", func(t *testing.T, rep *prober.Report) {
			d := details[*prober.FetchDetails](t, rep, prober.StepFetch)
			if !slices.Contains(d.Flags, `\Seen`) {
				t.Errorf("fetched flags %v lack \\Seen", d.Flags)
			}
		}},
		{"uidvalidity-changed", `state change: UIDVALIDITY of "INBOX" 1 -> `, "", func(t *testing.T, rep *prober.Report) {
			// imapmemserver numbers mailboxes as it creates them: the
			// copy is one more than those listed.
			list := details[*prober.ListDetails](t, rep, prober.StepList)
			if sel := details[*prober.SelectDetails](t, rep, prober.StepSelect); sel.UIDValidity != uint32(list.Count)+1 || sel.Exists != fakeserver.SeededInbox {
				t.Errorf("EXAMINE INBOX: UIDVALIDITY %d, %d messages; want %d and %d", sel.UIDValidity, sel.Exists, list.Count+1, fakeserver.SeededInbox)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sc, err := scenarios.Find(tt.name)
			if err != nil {
				t.Fatal(err)
			}
			const password, token = "state-scenario-pw", "state-scenario-token"
			opts, err := sc.ServerOptions(fakeserver.DefaultUser, password, token)
			if err != nil {
				t.Fatal(err)
			}
			srv := fakeserver.New(t, opts...)
			target, popts, err := sc.ProbeSettings(srv, password, token)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			rep := prober.Probe(ctx, target, popts)
			if got := scenarios.OutcomeOf(rep); got.Code != sc.Want.Code {
				t.Fatalf("verdict %s, want %s", got.Code, sc.Want.Code)
			}
			detail := ""
			for _, st := range rep.Steps {
				if st.Diagnosis != nil {
					detail = st.Diagnosis.Detail
				}
			}
			if !strings.Contains(detail, tt.detail) || (tt.detail == "") != (detail == "") {
				t.Errorf("diagnosis detail %q, want one holding %q", detail, tt.detail)
			}
			sts, err := srv.FaultStatuses()
			if err != nil {
				t.Fatal(err)
			}
			for _, st := range sts {
				if st.Fired != 1 {
					t.Errorf("%s fired %d times, want 1", st.Spec, st.Fired)
				}
			}
			if notes := changeNotes(t, srv); len(notes) != 1 || !strings.HasPrefix(notes[0], tt.change) {
				t.Errorf("state change notes %q, want one starting %q", notes, tt.change)
			}
			if tt.check != nil {
				tt.check(t, rep)
			}
		})
	}
}

// changeNotes are the transcript's state change notes, once the probe's
// connection has ended.
func changeNotes(t *testing.T, srv *fakeserver.Server) []string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		recs := srv.Connections()
		if len(recs) > 0 && !recs[len(recs)-1].End.IsZero() {
			var out []string
			for _, l := range recs[len(recs)-1].Transcript {
				if strings.HasPrefix(l.Text, "state change") {
					out = append(out, l.Text)
				}
			}
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("the probe's connection has not ended: %+v", recs)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// details is a step's evidence, of type D.
func details[D any](t *testing.T, rep *prober.Report, step string) D {
	t.Helper()
	for _, st := range rep.Steps {
		if st.Name == step {
			if d, ok := st.Details.(D); ok {
				return d
			}
			t.Fatalf("step %s has details %T", step, st.Details)
		}
	}
	t.Fatalf("no step %s", step)
	var zero D
	return zero
}
