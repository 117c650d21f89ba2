package prober

import (
	"context"
	"runtime"
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

// TestGuardRecoversPanic: a step that panics on a hostile reply fails
// with that step's malformed code and the panic's value, and the probe
// (an exporter's process) lives on; the secret stays out of the detail.
func TestGuardRecoversPanic(t *testing.T) {
	t.Parallel()
	p := &probe{ctx: context.Background(), o: Options{StepTimeout: time.Second}.withDefaults(), deadline: time.Now().Add(time.Second)}
	p.red = redact.NewSession("Guard-Canary-Pw-7")
	p.rec = wiretap.New(time.Now(), wiretap.DefaultLimits(), p.red)
	defer p.stopWorker()
	s := Step{Name: StepList, Start: 42}
	_, ok := p.runGuarded(StepList, func(_ *probe, in session, s *Step) (session, bool) {
		s.Note = "half done"
		panic("index out of range near Guard-Canary-Pw-7")
	}, session{}, &s)
	if ok || s.Diagnosis == nil || s.Diagnosis.Code != "list.malformed" || s.Start != 42 || s.Note != "" {
		t.Fatalf("ok=%v step=%+v diagnosis=%+v", ok, s, s.Diagnosis)
	}
	if want := panicDetail + " index out of range near "; !strings.HasPrefix(s.Diagnosis.Detail, want) || strings.Contains(s.Diagnosis.Detail, "Guard-Canary-Pw-7") {
		t.Errorf("detail %q, want it to start %q without the password", s.Diagnosis.Detail, want)
	}
}

// TestGuardReusesWorker: the steps of a probe run one after another on
// one worker goroutine, which ends once the probe stops it (goleak in
// TestMain checks that it does).
func TestGuardReusesWorker(t *testing.T) {
	t.Parallel()
	p := &probe{ctx: context.Background(), o: Options{StepTimeout: time.Second}.withDefaults(), deadline: time.Now().Add(time.Second)}
	p.red = redact.NewSession()
	p.rec = wiretap.New(time.Now(), wiretap.DefaultLimits(), p.red)
	stacks := map[string]int{}
	for i := 0; i < 3; i++ {
		s := Step{Name: StepList}
		_, ok := p.runGuarded(StepList, func(_ *probe, in session, _ *Step) (session, bool) {
			buf := make([]byte, 64)
			id := strings.Fields(string(buf[:runtime.Stack(buf, false)]))[1] // "goroutine N [running]:"
			stacks[id]++
			return in, true
		}, session{}, &s)
		if !ok {
			t.Fatalf("step %d failed: %+v", i, s.Diagnosis)
		}
	}
	if len(stacks) != 1 {
		t.Errorf("3 steps ran on goroutines %v, want one worker", stacks)
	}
	p.stopWorker()
	if p.work != nil {
		t.Error("stopWorker left the queue")
	}
}
