package prober

import (
	"context"
	"reflect"
	"strings"
	"testing"

	pt "github.com/imapprobe/imapprobe/prober/probertest"
)

// TestOnStep: OnStep sees every step of the report, in order, as it ends
// (skipped ones too), with the same status and redacted transcript.
func TestOnStep(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		srv      *pt.Server
		failStep string
	}{
		{"ok", &pt.Server{Pass: testPass, Implicit: goodTLS(t)}, ""},
		{"select fails", &pt.Server{Pass: testPass, Implicit: goodTLS(t), Handlers: map[string]pt.Handler{
			"EXAMINE": pt.Answer("TAG NO [NONEXISTENT] no such mailbox")}}, StepSelect},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := tc.srv.Start(t)
			o := baseOptions(t)
			var seen []Step
			o.OnStep = func(st Step) { seen = append(seen, st) }
			r := Probe(context.Background(), target(s, TLSImplicit), o)
			if step, _ := r.Failure(); step != tc.failStep {
				t.Fatalf("failed at %q, want %q\n%s", step, tc.failStep, dump(r))
			}
			if len(seen) != len(r.Steps) || len(seen) != len(Steps) {
				t.Fatalf("OnStep saw %d steps, report has %d, want %d", len(seen), len(r.Steps), len(Steps))
			}
			for i := range seen {
				if !reflect.DeepEqual(seen[i], r.Steps[i]) {
					t.Errorf("step %d: OnStep saw %+v, report has %+v", i, seen[i], r.Steps[i])
				}
				for _, l := range seen[i].Transcript {
					if strings.Contains(l.Text, testPass) {
						t.Errorf("step %s: OnStep's transcript holds the password: %q", seen[i].Name, l.Text)
					}
				}
			}
		})
	}
}
