package prober

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"

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

	var secrets []string
	secrets = append(secrets, redact.Encodings(t.User, o.Password)...)
	secrets = append(secrets, redact.Encodings(t.User, o.Token)...)
	red := redact.NewSession(secrets...)
	lim := wiretap.DefaultLimits()
	lim.MaxLiteral = max(lim.MaxLiteral, o.MaxFetch+64<<10)

	p := &probe{
		ctx: ctx, t: t, o: o, red: red,
		rec: wiretap.New(start, lim, red),
		rep: &Report{Schema: Schema, Target: t, Started: start},
	}
	stop := context.AfterFunc(ctx, func() { p.setDeadline(time.Time{}) })
	defer stop()
	p.run()
	p.close()
	p.rep.Duration = time.Since(start)
	p.rep.TranscriptOmitted = p.rec.Omitted()
	p.rep.Result = p.rep.Verdict(o.Strict)
	return p.rep
}

// probe is the state of one run.
type probe struct {
	ctx context.Context
	t   Target
	o   Options
	red *redact.Session
	rec *wiretap.Recorder
	rep *Report

	addrs []string // resolved addresses
	raw   net.Conn // TCP
	tap   *wiretap.Conn
	br    *bufio.Reader // hand-driven reader above tap
	tlsOn bool
	// tlsVersion is the negotiated TLS version, once tlsOn.
	tlsVersion uint16
	authed     bool // the auth step logged in by hand
	tagN       int

	preauth bool
	caps    capSet

	client  *imapclient.Client
	feed    *clientConn
	mailbox []string // LIST names kept for hints
	// listDone and listCount: LIST succeeded, with this many names
	listDone  bool
	listCount int
	numMsgs   uint32
	deadline  time.Time
	capped    bool // the overall deadline, not --timeout, ends the current step

	resetAtOpen bool // the peer reset the connection before sending anything
	abandoned   bool // a step's goroutine was left blocked (see runGuarded)

	mu sync.Mutex // guards raw deadline against ctx cancel
}

// stepFunc does one step's work; it fills s and returns false to stop.
type stepFunc func(s *Step) bool

func (p *probe) run() {
	plan := []struct {
		name string
		fn   stepFunc
		skip string // non-empty: not applicable, with the reason
	}{
		{StepResolve, p.resolve, ""},
		{StepConnect, p.connect, ""},
		{StepTLS, p.implicitTLS, when(p.t.TLS != TLSImplicit, "not used: TLS mode is "+string(p.t.TLS))},
		{StepGreeting, p.greeting, ""},
		{StepCapability, p.capability, ""},
		{StepStartTLS, p.startTLS, when(p.t.TLS != TLSStartTLS, "not used: TLS mode is "+string(p.t.TLS))},
		{StepAuth, p.auth, ""},
		{StepList, p.list, ""},
		{StepSelect, p.selectMailbox, ""},
		{StepFetch, p.fetch, ""},
		{StepLogout, p.logout, ""},
	}
	requested := true
	stopped := ""
	for _, st := range plan {
		switch {
		case !requested:
			p.rep.Steps = append(p.rep.Steps, Step{Name: st.name, Status: StatusNotRequested,
				Note: "not requested: --quit-after " + p.o.QuitAfter, Start: time.Since(p.rep.Started)})
			continue
		case stopped != "":
			p.skip(st.name, stopped)
		case st.skip != "":
			p.skip(st.name, st.skip)
		case !p.runStep(st.name, st.fn):
			stopped = "skipped: " + st.name + " failed"
			if p.resetAtOpen {
				stopped = "skipped: " + StepConnect + " failed"
			}
			if p.abandoned {
				stopped = "skipped: " + st.name + " did not finish"
			}
		}
		p.rep.Requested = append(p.rep.Requested, st.name)
		if st.name == p.o.QuitAfter {
			requested = false
		}
	}
}

func when(cond bool, s string) string {
	if cond {
		return s
	}
	return ""
}

func (p *probe) skip(name, note string) {
	p.rep.Steps = append(p.rep.Steps, Step{Name: name, Status: StatusSkipped, Note: note, Start: time.Since(p.rep.Started)})
}

func (p *probe) runStep(name string, fn stepFunc) bool {
	s := Step{Name: name, Start: time.Since(p.rep.Started)}
	began := time.Now()
	first := p.rec.Len()
	p.deadline, p.capped = began.Add(p.o.StepTimeout), false
	if d, ok := p.ctx.Deadline(); ok && d.Before(p.deadline) {
		p.deadline, p.capped = d, true
	}
	p.setDeadline(p.deadline)
	ok := true
	bare := p.rec.BareLF(wiretap.Server)
	if p.ctx.Err() != nil {
		p.fail(&s, area[name]+".timeout", "the overall deadline (--total-timeout) passed before this step")
		ok = false
	} else {
		ok = p.runGuarded(name, fn, &s)
	}
	s.Duration = time.Since(began)
	if !p.abandoned {
		scrubDetails(s.Details, p.red.Scrub)
		s.Note = p.red.Scrub(s.Note)
	}
	if ok && p.rec.BareLF(wiretap.Server) > bare {
		ok = p.fail(&s, area[name]+".malformed", "the server ended a line with a bare LF instead of CRLF (RFC 9051 section 2.2): a proxy may be rewriting line endings")
	}
	if p.resetAtOpen {
		// the connection died before any byte: reported on connect (see resetOnOpen)
		s.Status, s.Note, s.Diagnosis, s.Duration = StatusSkipped, "skipped: connect failed", nil, 0
		s.Transcript = p.rec.Lines(first)
		p.rep.Steps = append(p.rep.Steps, s)
		return false
	}
	if ok && s.Duration > p.o.Slow {
		p.warn(&s, area[name]+".slow", fmt.Sprintf("took %s, over the %s threshold", roundDuration(s.Duration), p.o.Slow))
	}
	if d := s.Diagnosis; d != nil && p.capped && strings.HasSuffix(d.Code, ".timeout") {
		d.Hint = fmt.Sprintf("The whole probe ran out of time (--total-timeout %s) during this step: raise --total-timeout, or look for slow steps above. ", p.o.Timeout) + d.Hint
	}
	switch {
	case s.Diagnosis != nil:
		s.Status = StatusFail
		ok = false
	case !ok:
		s.Status = StatusFail // defensive: a step that stops must explain why
		p.fail(&s, area[name]+".malformed", "step stopped without a diagnosis")
	case len(s.Warnings) > 0:
		s.Status = StatusWarn
	default:
		s.Status = StatusOK
	}
	s.Transcript = p.rec.Lines(first)
	p.rep.Steps = append(p.rep.Steps, s)
	return ok
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

func (p *probe) diag(code, detail string) Diagnosis {
	info, ok := catalog[code]
	if !ok {
		info = CodeInfo{Code: code, Severity: SeverityError, Summary: code}
	}
	d := Diagnosis{Code: code, Severity: info.Severity, Summary: info.Summary,
		Detail: p.red.Scrub(detail), Hint: info.Fix}
	if alert, ok := byeAlert(p.lastBye()); ok && (strings.HasSuffix(code, ".dropped") || code == "greeting.bye") {
		// the administrator's own words are the headline (RFC 9051 [ALERT])
		d.Summary = "the server says: " + p.red.Scrub(alert)
		d.Hint = "The server's administrator sent this alert to users: it usually means planned maintenance. Wait until the time it names and retry, or ask the administrator; nothing is wrong with your client or account."
	} else if strings.HasSuffix(code, ".dropped") && !strings.HasPrefix(detail, "server said:") {
		d.Hint = "The server closed the connection without a BYE: look in the server's log for a crashed or killed process, and check firewalls, load balancers and NAT idle timeouts between you and the server."
	}
	return d
}

// byeAlert returns the text of a "* BYE [ALERT] text" line.
func byeAlert(bye string) (string, bool) {
	rest, ok := strings.CutPrefix(bye, "* ")
	if !ok || len(rest) < 4 {
		return "", false
	}
	rest = strings.TrimSpace(rest[3:])
	if len(rest) < 7 || !strings.EqualFold(rest[:7], "[ALERT]") {
		return "", false
	}
	return wiretap.Escape(strings.TrimSpace(rest[7:]), 200), true
}

// fail sets the step's diagnosis and returns false, for "return p.fail(...)".
func (p *probe) fail(s *Step, code, detail string) bool {
	d := p.diag(code, detail)
	d.Severity = SeverityError
	s.Diagnosis = &d
	return false
}

// failHint is fail with a situation-specific hint in front of the catalog one.
func (p *probe) failHint(s *Step, code, detail, hint string) bool {
	p.fail(s, code, detail)
	if hint != "" {
		s.Diagnosis.Hint = p.red.Scrub(hint)
	}
	return false
}

func (p *probe) warn(s *Step, code, detail string) {
	d := p.diag(code, detail)
	d.Severity = SeverityWarning
	s.Warnings = append(s.Warnings, d)
}

func (p *probe) close() {
	if p.client != nil && !p.abandoned { // an abandoned step's goroutine may still own it
		_ = p.client.Close()
	}
	p.closeConn()
}

// ---- resolve ----

// ResolveDetails is the evidence of the resolve step.
type ResolveDetails struct {
	Name      string   `json:"name"`
	Source    string   `json:"source"` // "dns", "ip-literal" or "connect-addr"
	Addresses []string `json:"addresses"`
}

func (p *probe) resolve(s *Step) bool {
	d := &ResolveDetails{Name: p.t.Host}
	s.Details = d
	if p.t.ConnectAddr != "" {
		ip, port, err := splitConnectAddr(p.t.ConnectAddr, p.t.Port)
		if err != nil {
			return p.fail(s, "dns.failure", err.Error())
		}
		d.Source = "connect-addr"
		d.Addresses = []string{net.JoinHostPort(ip.String(), strconv.Itoa(port))}
		p.addrs = d.Addresses
		return true
	}
	port := strconv.Itoa(p.t.Port)
	if ip := net.ParseIP(p.t.Host); ip != nil {
		d.Source = "ip-literal"
		d.Addresses = []string{net.JoinHostPort(ip.String(), port)}
		p.addrs = d.Addresses
		return true
	}
	d.Source = "dns"
	lookup := p.o.LookupHost
	if lookup == nil {
		lookup = net.DefaultResolver.LookupHost
	}
	ctx, cancel := context.WithDeadline(p.ctx, p.deadline)
	defer cancel()
	ips, err := lookup(ctx, p.t.Host)
	if err == nil && len(ips) == 0 {
		err = &net.DNSError{Err: "no addresses", Name: p.t.Host, IsNotFound: true}
	}
	if err != nil {
		var dnsErr *net.DNSError
		switch {
		case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
			return p.fail(s, "dns.not_found", err.Error())
		case isTimeout(err) || ctx.Err() != nil:
			return p.fail(s, "dns.timeout", err.Error())
		}
		return p.fail(s, "dns.failure", err.Error())
	}
	for _, ip := range ips {
		d.Addresses = append(d.Addresses, net.JoinHostPort(ip, port))
	}
	p.addrs = d.Addresses
	return true
}

// ---- connect ----

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

func (p *probe) connect(s *Step) bool {
	d := &ConnectDetails{}
	s.Details = d
	dial := p.o.DialContext
	if dial == nil {
		dialer := &net.Dialer{}
		if p.o.SourceAddr != "" {
			ip := net.ParseIP(p.o.SourceAddr)
			if ip == nil {
				return p.fail(s, "tcp.unreachable", fmt.Sprintf("source address %q is not an IP address", p.o.SourceAddr))
			}
			dialer.LocalAddr = &net.TCPAddr{IP: ip}
		}
		dial = dialer.DialContext
	}
	ctx, cancel := context.WithDeadline(p.ctx, p.deadline)
	defer cancel()
	var lastErr error
	for i, addr := range p.addrs {
		began := time.Now()
		// Each address gets a fair share of what is left, so that a
		// black-holed first address (often a broken IPv6 route) cannot use
		// up the step before a working one is tried.
		share := time.Until(p.deadline) / time.Duration(len(p.addrs)-i)
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
			p.attachTap(conn)
			return true
		}
		a.Error = err.Error()
		d.Attempts = append(d.Attempts, a)
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	if lastErr == nil {
		return p.fail(s, "tcp.unreachable", "no address to connect to")
	}
	return p.fail(s, classifyDial(lastErr, ctx.Err() != nil), lastErr.Error())
}

func classifyDial(err error, expired bool) string {
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

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) ||
		(errors.As(err, &ne) && ne.Timeout())
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

// attachTap puts the transcript tap (and a fresh line reader) on conn, the
// current plaintext-IMAP layer.
func (p *probe) attachTap(conn net.Conn) {
	p.tap = p.rec.Tap(conn, redact.Client)
	p.br = bufio.NewReaderSize(p.tap, 4096)
}

// ioCode classifies a transport error met during step s.
func (p *probe) ioCode(step string, err error) (code, detail string) {
	a := area[step]
	var lerr *wiretap.LimitError
	switch {
	case errors.As(err, &lerr):
		return a + ".malformed", lerr.Error()
	case isTimeout(err) || !time.Now().Before(p.deadline) || p.ctx.Err() != nil:
		detail := "no complete answer within " + p.waitLimit()
		if part, ok := p.tap.Pending(); ok && part != "" {
			detail += "; partial line received: " + part
		}
		if left := p.tap.LiteralLeft(); left > 0 {
			detail += fmt.Sprintf("; %d bytes of a literal were still expected: the server may have sent less than it announced", left)
		}
		return a + ".timeout", detail
	case isClosed(err):
		detail := "connection closed by the server: " + err.Error()
		if bye := p.lastBye(); bye != "" {
			detail = "server said: " + bye
		}
		return a + ".dropped", detail
	}
	return a + ".malformed", err.Error()
}

// isClosed reports whether err means the peer closed or reset the connection.
func isClosed(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.EPIPE)
}

// lastBye returns the most recent BYE line of the transcript, if any.
func (p *probe) lastBye() string {
	lines := p.rec.Lines(0)
	for i := len(lines) - 1; i >= 0; i-- {
		if lines[i].Dir == wiretap.Server && isUntagged(lines[i].Text, "BYE") {
			return lines[i].Text
		}
	}
	return ""
}
