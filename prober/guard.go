package prober

import (
	"fmt"
	"time"
)

// guardGrace is how long past its deadline a step may take to notice it:
// first before the connection is closed under it, then before the step is
// abandoned.
const guardGrace = time.Second

// panicDetail opens the detail of a step that panicked on the server's
// reply: a bug in imapprobe, which FuzzServerBytes looks for.
const panicDetail = "imapprobe failed on the server's reply (a bug in imapprobe; please report it with the --record file):"

// runGuarded runs fn on the step worker, a goroutine apart from the
// probe's, so that a call that blocks past every socket deadline
// (imapclient waits on channels that no deadline reaches) cannot hang the
// probe. Past the step deadline, or
// once the context is done, plus a grace period, the connection is closed;
// if fn still does not return, the step is abandoned with a timeout
// diagnosis and the worker is left to the closed connection, with the
// session it was given: the probe goes on with in, not with fn's result.
func (p *probe) runGuarded(name string, fn stepFunc, in session, s *Step) (session, bool) {
	type result struct {
		out session
		s   Step
		ok  bool
	}
	done := make(chan result, 1)
	local := *s
	p.onWorker(func() {
		defer func() {
			// a hostile reply that trips a bug must fail this step, not
			// kill the process (an exporter probing many servers)
			if v := recover(); v != nil {
				code, ok := StepCode(name, "malformed")
				if !ok { // dns, tcp, tls: these steps parse no IMAP
					panic(v)
				}
				local = Step{Name: local.Name, Start: local.Start}
				p.fail(&local, code, fmt.Sprintf("%s %v", panicDetail, v))
				done <- result{in, local, false}
			}
		}()
		out, ok := fn(p, in, &local)
		done <- result{out, local, ok && local.Diagnosis == nil}
	})
	take := func(r result) (session, bool) {
		*s = r.s
		return r.out, r.ok
	}
	timer := time.NewTimer(time.Until(p.deadline) + guardGrace)
	defer timer.Stop()
	select {
	case r := <-done:
		return take(r)
	case <-timer.C:
	case <-p.ctx.Done():
		select {
		case r := <-done:
			return take(r)
		case <-time.After(guardGrace):
		}
	}
	p.closeConn()
	select {
	case r := <-done:
		if r.ok {
			// it finished, but late, and the connection is gone now: a
			// later step must not read a closed connection as a drop
			r.s.Diagnosis = nil
			*s = r.s
			p.fail(s, genericCode(name, "timeout"), "the step finished only after its deadline ("+p.waitLimit()+"); the connection was closed")
			return r.out, false
		}
		return take(r)
	case <-time.After(guardGrace):
	}
	p.abandoned = true
	p.stopWorker() // it is stuck in fn: it ends if fn ever returns, and a later step would get a new one
	*s = Step{Name: s.Name, Start: s.Start}
	p.fail(s, genericCode(name, "timeout"), "the step did not finish within "+p.waitLimit()+
		"; the connection was closed and the step abandoned (the server left a command unanswered)")
	return in, false
}

// closeConn closes the TCP connection, which fails every read and write
// above it.
func (p *probe) closeConn() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.raw != nil {
		_ = p.raw.Close()
	}
}

// onWorker runs job on the probe's step worker, one goroutine that runs
// the steps in turn, started on first use. A goroutine per step grew a
// fresh stack through each TLS handshake and IMAP parse: 3-4% of a probe's
// CPU and wall time against the fake (bench/curlvs, 61 interleaved runs).
func (p *probe) onWorker(job func()) {
	if p.work == nil {
		work := make(chan func())
		go func() {
			for j := range work {
				j()
			}
		}()
		p.work = work
	}
	p.work <- job
}

// stopWorker lets the worker end once its job, if any, returns.
func (p *probe) stopWorker() {
	if p.work != nil {
		close(p.work)
		p.work = nil
	}
}
