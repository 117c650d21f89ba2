package prober

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"
)

// ConnectDetails is the evidence of the connect step.
type ConnectDetails struct {
	Address  string    `json:"address,omitempty"` // the one used
	Local    string    `json:"local,omitempty"`
	Attempts []Attempt `json:"attempts"`
}

// Attempt is one TCP connection attempt.
type Attempt struct {
	Address string        `json:"address"`
	Error   string        `json:"error,omitempty"`
	Time    time.Duration `json:"duration_ns"`
}

func (p *probe) connect(in session, s *Step) (session, bool) {
	d := &ConnectDetails{}
	s.Details = d
	dial := p.o.DialContext
	if dial == nil {
		dialer := &net.Dialer{}
		if p.o.SourceAddr != "" {
			ip := net.ParseIP(p.o.SourceAddr)
			if ip == nil {
				return in, p.fail(s, "tcp.unreachable", fmt.Sprintf("source address %q is not an IP address", p.o.SourceAddr))
			}
			dialer.LocalAddr = &net.TCPAddr{IP: ip}
		}
		dial = dialer.DialContext
	}
	ctx, cancel := context.WithDeadline(p.ctx, p.deadline)
	defer cancel()
	var lastErr error
	for i, addr := range in.addrs {
		began := time.Now()
		// Each address gets a fair share of what is left, so that a
		// black-holed first address (often a broken IPv6 route) cannot use
		// up the step before a working one is tried.
		share := time.Until(p.deadline) / time.Duration(len(in.addrs)-i)
		actx, acancel := context.WithTimeout(ctx, share)
		conn, err := dial(actx, "tcp", addr)
		acancel()
		a := Attempt{Address: addr, Time: time.Since(began)}
		if err == nil {
			d.Address, d.Local = addr, conn.LocalAddr().String()
			d.Attempts = append(d.Attempts, a)
			p.mu.Lock()
			p.raw = conn
			p.mu.Unlock()
			p.setDeadline(p.deadline)
			in.wire = p.newWire(conn)
			return in, true
		}
		a.Error = err.Error()
		d.Attempts = append(d.Attempts, a)
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	if lastErr == nil {
		return in, p.fail(s, "tcp.unreachable", "no address to connect to")
	}
	return in, p.fail(s, classifyDial(lastErr, ctx.Err() != nil), lastErr.Error())
}

func classifyDial(err error, expired bool) Code {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "tcp.refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "tcp.reset"
	case expired || isTimeout(err) || errors.Is(err, syscall.ETIMEDOUT):
		return "tcp.timeout"
	}
	return "tcp.unreachable"
}

// resetOnOpen handles a reset that arrives before the server sent a byte.
// Whether the kernel reports it to connect() or to the first read is a
// race, so it is always reported as a connect failure.
func (p *probe) resetOnOpen(err error) bool {
	for i := range p.rep.Steps {
		if st := &p.rep.Steps[i]; st.Name == StepConnect {
			st.Status = StatusFail
			p.fail(st, "tcp.reset", "the connection was reset right after it opened, before the server sent anything: "+err.Error())
		}
	}
	p.resetAtOpen = true
	return false
}
