package prober

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/imapprobe/imapprobe/internal/redact"
	"github.com/imapprobe/imapprobe/internal/wiretap"
)

// TestGuardAbandonsBlockedStep: a step whose work blocks past every socket
// deadline (as imapclient's Authenticate did on a continuation nothing
// cancelled) ends with a timeout diagnosis shortly after its deadline.
func TestGuardAbandonsBlockedStep(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		cancel bool // end by cancelling the context instead of the deadline
	}{{"deadline", false}, {"cancel", true}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			p := &probe{ctx: ctx, o: Options{StepTimeout: 200 * time.Millisecond}.withDefaults(), deadline: time.Now().Add(200 * time.Millisecond)}
			p.red = redact.NewSession()
			p.rec = wiretap.New(time.Now(), wiretap.DefaultLimits(), p.red)
			if tc.cancel {
				p.deadline = time.Now().Add(time.Hour)
				time.AfterFunc(100*time.Millisecond, cancel)
			}
			block := make(chan struct{})
			defer close(block)
			s := Step{Name: StepAuth}
			began := time.Now()
			_, ok := p.runGuarded(StepAuth, func(_ *probe, in session, _ *Step) (session, bool) { <-block; return in, true }, session{}, &s)
			took := time.Since(began)
			if ok || !p.abandoned || s.Diagnosis == nil || s.Diagnosis.Code != "auth.timeout" {
				t.Fatalf("ok=%v abandoned=%v diagnosis=%+v", ok, p.abandoned, s.Diagnosis)
			}
			if !strings.Contains(s.Diagnosis.Detail, "abandoned") {
				t.Errorf("detail %q", s.Diagnosis.Detail)
			}
			// deadline (or cancel) + two grace periods, with a wide margin
			if limit := 200*time.Millisecond + 2*guardGrace + 2*time.Second; took > limit {
				t.Errorf("took %s, over %s", took, limit)
			}
			if took < 100*time.Millisecond+2*guardGrace {
				t.Errorf("took %s: returned before the deadline and grace periods", took)
			}
		})
	}
}
