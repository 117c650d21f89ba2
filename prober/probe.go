package prober

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/imapprobe/imapprobe/internal/redact"
	"github.com/imapprobe/imapprobe/internal/wiretap"
)

// Probe runs every step against t and returns the report. It never panics
// on server input and returns within o.Timeout (plus a little cleanup);
// cancelling ctx ends it early with a timeout diagnosis.
func Probe(ctx context.Context, t Target, o Options) *Report {
	o = o.withDefaults()
	if t.TLS == "" {
		t.TLS = TLSImplicit
	}
	if t.Port == 0 {
		t.Port = t.TLS.DefaultPort()
	}
	if t.Mailbox == "" {
		t.Mailbox = "INBOX"
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()

	red := redactor(t.User, o.Password, o.Token)
	lim := wiretap.DefaultLimits()
	lim.MaxLiteral = max(lim.MaxLiteral, o.MaxFetch+64<<10)

	p := &probe{
		ctx: ctx, t: t, o: o, red: red,
		rec: wiretap.New(start, lim, red).Reserve(32), // a full session keeps about 25 lines
		rep: &Report{Schema: Schema, Target: t, Started: start,
			Steps: make([]Step, 0, len(Steps)), Requested: make([]string, 0, len(Steps))},
	}
	stop := context.AfterFunc(ctx, func() { p.setDeadline(time.Time{}) })
	defer stop()
	p.close(p.run())
	p.stopWorker()
	p.rep.Duration = time.Since(start)
	p.rep.TranscriptOmitted = p.rec.Omitted()
	p.rep.Result = p.rep.Verdict(o.Strict)
	return p.rep
}

// probe is what every step of one run shares: its inputs, the report, and
// the deadline of the step in progress. What a step learns travels in a
// session instead (see state.go).
type probe struct {
	ctx context.Context
	t   Target
	o   Options
	red *redact.Session
	rec *wiretap.Recorder
	rep *Report

	deadline time.Time
	capped   bool // the overall deadline, not --timeout, ends the current step

	resetAtOpen bool        // the peer reset the connection before sending anything
	abandoned   bool        // a step's goroutine was left blocked (see runGuarded)
	work        chan func() // the step worker's queue (see onWorker)

	mu  sync.Mutex // guards raw against ctx cancel and the step guard
	raw net.Conn   // TCP, once connect succeeded
}

// run walks the plan and returns the last session, for close.
func (p *probe) run() session {
	var cur session
	requested := true
	stopped := ""
	for _, st := range thePlan() {
		switch {
		case !requested:
			p.addStep(Step{Name: st.name, Status: StatusNotRequested,
				Note: "not requested: --quit-after " + p.o.QuitAfter, Start: time.Since(p.rep.Started)})
			continue
		case stopped != "":
			p.skip(st.name, stopped)
		case st.only != "" && st.only != p.t.TLS:
			p.skip(st.name, "not used: TLS mode is "+string(p.t.TLS))
		default:
			var ok bool
			if cur, ok = p.runStep(st.name, st.run, cur); !ok {
				stopped = p.stopNote(st.name)
			}
		}
		p.rep.Requested = append(p.rep.Requested, st.name)
		if st.name == p.o.QuitAfter {
			requested = false
		}
	}
	return cur
}

// stopNote is what the steps after a failed one say.
func (p *probe) stopNote(failed string) string {
	switch {
	case p.abandoned:
		return "skipped: " + failed + " did not finish"
	case p.resetAtOpen:
		return "skipped: " + StepConnect + " failed"
	}
	return "skipped: " + failed + " failed"
}

func (p *probe) skip(name, note string) {
	p.addStep(Step{Name: name, Status: StatusSkipped, Note: note, Start: time.Since(p.rep.Started)})
}

// addStep records a finished step and tells Options.OnStep.
func (p *probe) addStep(s Step) {
	p.rep.Steps = append(p.rep.Steps, s)
	if p.o.OnStep != nil {
		p.o.OnStep(s)
	}
}

func (p *probe) runStep(name string, fn stepFunc, in session) (session, bool) {
	s := Step{Name: name, Start: time.Since(p.rep.Started)}
	began := time.Now()
	first := p.rec.Len()
	p.deadline, p.capped = began.Add(p.o.StepTimeout), false
	if d, ok := p.ctx.Deadline(); ok && d.Before(p.deadline) {
		p.deadline, p.capped = d, true
	}
	p.setDeadline(p.deadline)
	out, ok := in, false
	bare := p.rec.BareLF(wiretap.Server)
	if p.ctx.Err() != nil {
		p.fail(&s, genericCode(name, "timeout"), "the overall deadline (--total-timeout) passed before this step")
	} else {
		out, ok = p.runGuarded(name, fn, in, &s)
	}
	s.Duration = time.Since(began)
	if !p.abandoned {
		scrubDetails(s.Details, p.red.Scrub)
		s.Note = p.red.Scrub(s.Note)
	}
	if ok && p.rec.BareLF(wiretap.Server) > bare {
		ok = p.fail(&s, genericCode(name, "malformed"), "the server ended a line with a bare LF instead of CRLF (RFC 9051 section 2.2): a proxy may be rewriting line endings")
	}
	if p.resetAtOpen {
		// the connection died before any byte: reported on connect (see resetOnOpen)
		s.Status, s.Note, s.Diagnosis, s.Duration = StatusSkipped, "skipped: connect failed", nil, 0
		s.Transcript = p.rec.Lines(first)
		p.addStep(s)
		return out, false
	}
	if ok && s.Duration > p.o.Slow {
		p.warn(&s, genericCode(name, "slow"), fmt.Sprintf("took %s, over the %s threshold", roundDuration(s.Duration), p.o.Slow))
	}
	if d := s.Diagnosis; d != nil && p.capped && d.Code.Kind() == "timeout" {
		d.Hint = fmt.Sprintf("The whole probe ran out of time (--total-timeout %s) during this step: raise --total-timeout, or look for slow steps above. ", p.o.Timeout) + d.Hint
	}
	switch {
	case s.Diagnosis != nil:
		s.Status = StatusFail
		ok = false
	case !ok:
		s.Status = StatusFail // defensive: a step that stops must explain why
		p.fail(&s, genericCode(name, "malformed"), "step stopped without a diagnosis")
	case len(s.Warnings) > 0:
		s.Status = StatusWarn
	default:
		s.Status = StatusOK
	}
	s.Transcript = p.rec.Lines(first)
	p.addStep(s)
	return out, ok
}

// waitLimit names the deadline that bounds the current step.
func (p *probe) waitLimit() string {
	if errors.Is(p.ctx.Err(), context.Canceled) {
		return "the time the probe ran: it was cancelled (interrupted)"
	}
	if p.capped {
		return fmt.Sprintf("the overall --total-timeout of %s", p.o.Timeout)
	}
	return p.o.StepTimeout.String()
}

// roundDuration keeps three or so significant digits: 1.234ms, 87µs, 2.5s.
func roundDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(10 * time.Microsecond).String()
	}
	return d.Round(time.Millisecond).String()
}

// setDeadline sets the raw connection's deadline, or a past one once the
// context is done (so that every blocked read returns).
func (p *probe) setDeadline(d time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.raw == nil {
		return
	}
	if p.ctx.Err() != nil {
		d = time.Unix(1, 0)
	}
	_ = p.raw.SetDeadline(d)
}

func (p *probe) diag(code Code, detail string) Diagnosis {
	info, ok := catalog()[code]
	if !ok {
		info = CodeInfo{Code: code, Severity: SeverityError, Summary: string(code)}
	}
	d := Diagnosis{Code: code, Severity: info.Severity, Summary: info.Summary,
		Detail: p.red.Scrub(detail), Hint: info.Fix}
	if code.Kind() != "dropped" && code != "greeting.bye" {
		return d
	}
	// only a closed connection needs the transcript's last BYE
	bye := p.lastBye()
	if alert, ok := byeAlert(bye); ok {
		// the administrator's own words are the headline (RFC 9051 [ALERT])
		d.Summary = "the server says: " + p.red.Scrub(alert)
		d.Hint = "The server's administrator sent this alert to users: it usually means planned maintenance. Wait until the time it names and retry, or ask the administrator; nothing is wrong with your client or account."
	} else if bye == "" && code.Kind() == "dropped" {
		d.Hint = "The server closed the connection without a BYE: look in the server's log for a crashed or killed process, and check firewalls, load balancers and NAT idle timeouts between you and the server."
	}
	return d
}

// fail sets the step's diagnosis and returns false, for "return p.fail(...)".
func (p *probe) fail(s *Step, code Code, detail string) bool {
	d := p.diag(code, detail)
	d.Severity = SeverityError
	s.Diagnosis = &d
	return false
}

// failHint is fail with a situation-specific hint in front of the catalog one.
func (p *probe) failHint(s *Step, code Code, detail, hint string) bool {
	p.fail(s, code, detail)
	if hint != "" {
		s.Diagnosis.Hint = p.red.Scrub(hint)
	}
	return false
}

func (p *probe) warn(s *Step, code Code, detail string) {
	d := p.diag(code, detail)
	d.Severity = SeverityWarning
	s.Warnings = append(s.Warnings, d)
}

func (p *probe) close(last session) {
	if c := last.imap.client; c != nil && !p.abandoned { // an abandoned step's goroutine may still own it
		_ = c.Close()
	}
	p.closeConn()
}
