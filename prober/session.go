package prober

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/imapprobe/imapprobe/internal/wiretap"
)

// capSet holds capabilities as the server spelled them, keyed upper-case.
type capSet struct {
	list []string
	has  map[string]bool
}

func parseCaps(tokens []string) capSet {
	c := capSet{has: map[string]bool{}}
	for _, t := range tokens {
		if t == "" {
			continue
		}
		c.list = append(c.list, t)
		c.has[strings.ToUpper(t)] = true
	}
	return c
}

// Has reports whether the capability is present (case-insensitive).
func (c capSet) Has(name string) bool { return c.has[strings.ToUpper(name)] }

// mechanisms returns the AUTH= mechanisms, upper-case, sorted.
func (c capSet) mechanisms() []string {
	var out []string
	for k := range c.has {
		if m, ok := strings.CutPrefix(k, "AUTH="); ok {
			out = append(out, m)
		}
	}
	sort.Strings(out)
	return out
}

// GreetingDetails is the evidence of the greeting step.
type GreetingDetails struct {
	Text         string   `json:"text"`
	Status       string   `json:"status,omitempty"` // OK, PREAUTH or BYE
	Capabilities []string `json:"capabilities,omitempty"`
}

// CapabilityDetails is the evidence of the capability step (before TLS for
// starttls, before authentication otherwise).
type CapabilityDetails struct {
	Capabilities []string `json:"capabilities"`
	Mechanisms   []string `json:"mechanisms,omitempty"`
}

// StartTLSDetails is the evidence of the starttls step.
type StartTLSDetails struct {
	TLSDetails
	CapabilitiesAfter []string `json:"capabilities_after,omitempty"`
}

// readLine reads one server line (literal contents are skipped) without
// its CRLF. The tap bounds the line length.
func (p *probe) readLine() (string, error) {
	var sb strings.Builder
	for {
		line, err := p.br.ReadString('\n')
		if err != nil {
			if line != "" || sb.Len() > 0 {
				return "", &partialLineError{data: sb.String() + line, err: err}
			}
			return "", err
		}
		line = strings.TrimRight(line, "\r\n")
		sb.WriteString(line)
		n, ok := wiretap.LiteralSize([]byte(line))
		if !ok || n < 0 {
			return sb.String(), nil
		}
		if _, err := io.CopyN(io.Discard, p.br, n); err != nil {
			return "", err
		}
	}
}

// partialLineError is a read that failed after part of a line arrived.
type partialLineError struct {
	data string
	err  error
}

func (e *partialLineError) Error() string {
	return fmt.Sprintf("%v after %d bytes without a line end: %s", e.err, len(e.data), quote([]byte(e.data)))
}

func (e *partialLineError) Unwrap() error { return e.err }

// response is a tagged command's outcome on the hand-driven phase.
type response struct {
	untagged []string
	status   string // OK, NO, BAD
	text     string // the tagged line
}

const maxUntagged = 1000

// command sends one command (no arguments needing quoting) and collects the
// response. A transport or framing problem returns a code and detail.
func (p *probe) command(step, cmd string) (*response, string, string) {
	tag := p.nextTag()
	if err := p.write(tag + " " + cmd + "\r\n"); err != nil {
		code, detail := p.ioCode(step, err)
		return nil, code, detail
	}
	name, _, _ := strings.Cut(cmd, " ")
	return p.finish(step, tag, name, "")
}

func (p *probe) nextTag() string {
	p.tagN++
	return "P" + strconv.Itoa(p.tagN)
}

// write sends client bytes on the hand-driven connection.
func (p *probe) write(s string) error {
	_, err := io.WriteString(p.tap, s)
	return err
}

// finish collects the response to the command tagged tag, starting with
// line if it is not "" (a line the caller already read).
func (p *probe) finish(step, tag, cmd, line string) (*response, string, string) {
	r := &response{}
	for {
		if line == "" {
			var err error
			if line, err = p.readLine(); err != nil {
				code, detail := p.ioCode(step, err)
				return nil, code, detail
			}
		}
		switch {
		case strings.HasPrefix(line, "* "):
			if len(r.untagged) >= maxUntagged && !isUntagged(line, "BYE") {
				return nil, area[step] + ".malformed", fmt.Sprintf("more than %d untagged responses to %s", maxUntagged, cmd)
			}
			// a BYE ends the session: keep reading to report the close
			r.untagged = append(r.untagged, line)
		case strings.HasPrefix(line, tag+" "):
			r.text = line
			st, _, _ := strings.Cut(line[len(tag)+1:], " ")
			r.status = strings.ToUpper(st)
			switch r.status {
			case "OK", "NO", "BAD":
				return r, "", ""
			}
			return nil, area[step] + ".malformed", "tagged response without OK/NO/BAD: " + quote([]byte(line))
		default:
			return nil, area[step] + ".malformed", fmt.Sprintf("unexpected response to %s: %s", cmd, quote([]byte(line)))
		}
		line = ""
	}
}

// isUntagged reports whether line is "* KIND ..." (case-insensitive).
func isUntagged(line, kind string) bool {
	rest, ok := strings.CutPrefix(line, "* ")
	if !ok || len(rest) < len(kind) {
		return false
	}
	return strings.EqualFold(rest[:len(kind)], kind) && (len(rest) == len(kind) || rest[len(kind)] == ' ')
}

// capsFromCode extracts [CAPABILITY ...] from a response text, or nil.
func capsFromCode(text string) []string {
	up := strings.ToUpper(text)
	i := strings.Index(up, "[CAPABILITY ")
	if i < 0 {
		return nil
	}
	rest := text[i+len("[CAPABILITY "):]
	end := strings.IndexByte(rest, ']')
	if end < 0 {
		return nil
	}
	return strings.Fields(rest[:end])
}

func (p *probe) greeting(s *Step) bool {
	d := &GreetingDetails{}
	s.Details = d
	line, err := p.readLine()
	if err != nil {
		var partial *partialLineError
		if errors.As(err, &partial) && !isTimeout(err) {
			if (strings.HasPrefix(partial.data, "* ") || partial.data == "*") && isClosed(partial.err) {
				// an IMAP greeting began, then the connection ended: not a wrong port
				return p.fail(s, "greeting.closed", fmt.Sprintf("the server closed the connection in the middle of the greeting, after %d bytes: %s (%v)", len(partial.data), quote([]byte(partial.data)), partial.err))
			}
			detail, hint := guessProtocol(partial.data, p.t.Port)
			return p.failHint(s, "greeting.malformed", detail+" (then: "+partial.err.Error()+")", hint)
		}
		if errors.Is(err, syscall.ECONNRESET) {
			return p.resetOnOpen(err)
		}
		code, detail := p.ioCode(StepGreeting, err)
		switch {
		case strings.HasSuffix(code, ".timeout"):
			return p.failHint(s, "greeting.timeout", detail, p.greetingTimeoutHint())
		case strings.HasSuffix(code, ".dropped"):
			return p.fail(s, "greeting.closed", "the server closed the connection without a greeting: "+err.Error())
		}
		return p.fail(s, "greeting.malformed", detail)
	}
	d.Text = line
	rest, ok := strings.CutPrefix(line, "* ")
	if ok {
		kind, text, _ := strings.Cut(rest, " ")
		switch strings.ToUpper(kind) {
		case "OK", "PREAUTH":
			d.Status = strings.ToUpper(kind)
			p.preauth = d.Status == "PREAUTH"
			d.Capabilities = capsFromCode(text)
			return true
		case "BYE":
			d.Status = "BYE"
			return p.fail(s, "greeting.bye", "server said: "+quote([]byte(line)))
		}
	}
	detail, hint := guessProtocol(line, p.t.Port)
	return p.failHint(s, "greeting.malformed", detail, hint)
}

func (p *probe) greetingTimeoutHint() string {
	info := catalog["greeting.timeout"].Fix
	switch {
	case p.t.TLS != TLSImplicit && p.t.Port == 993:
		return "Port 993 is the implicit-TLS port: the server waits for a TLS handshake. Use imaps://" + p.t.Host + " (or --tls implicit)."
	case p.t.TLS == TLSImplicit:
		return "TLS succeeded but no IMAP greeting followed: the port may belong to another TLS service. " + info
	}
	return "The server accepted the connection but sent nothing: if it expects TLS first, use imaps:// (--tls implicit). " + info
}

// guessProtocol explains a non-IMAP greeting.
func guessProtocol(line string, port int) (detail, hint string) {
	q := quote([]byte(line))
	up := strings.ToUpper(line)
	switch {
	case strings.HasPrefix(line, "+OK") || strings.HasPrefix(line, "-ERR"):
		return "this is a POP3 server: " + q, fmt.Sprintf("Port %d speaks POP3; IMAP is on 993 (imaps://) or 143 (imap://).", port)
	case len(line) >= 4 && (strings.HasPrefix(line, "220") || strings.HasPrefix(line, "554") || strings.HasPrefix(line, "421")) && (line[3] == ' ' || line[3] == '-'):
		return "this is an SMTP server: " + q, fmt.Sprintf("Port %d speaks SMTP; IMAP is on 993 (imaps://) or 143 (imap://).", port)
	case strings.HasPrefix(up, "HTTP/") || strings.HasPrefix(up, "<!DOCTYPE") || strings.HasPrefix(up, "<HTML"):
		return "this is an HTTP server: " + q, fmt.Sprintf("Port %d speaks HTTP; IMAP is on 993 (imaps://) or 143 (imap://).", port)
	case strings.HasPrefix(line, "SSH-"):
		return "this is an SSH server: " + q, fmt.Sprintf("Port %d speaks SSH; IMAP is on 993 (imaps://) or 143 (imap://).", port)
	case len(line) >= 2 && (line[0] == 0x15 || line[0] == 0x16) && line[1] == 0x03:
		return "the server sent a TLS record: " + q, "The port expects TLS from the start: use imaps:// (--tls implicit)."
	}
	return "not an IMAP greeting (\"* OK\", \"* PREAUTH\" or \"* BYE\"): " + q, ""
}

func (p *probe) capability(s *Step) bool {
	d := &CapabilityDetails{}
	s.Details = d
	caps, ok := p.fetchCaps(s, StepCapability)
	if !ok {
		return false
	}
	p.caps = parseCaps(caps)
	d.Capabilities = p.caps.list
	d.Mechanisms = p.caps.mechanisms()
	return true
}

// fetchCaps runs CAPABILITY on the hand-driven connection.
func (p *probe) fetchCaps(s *Step, step string) ([]string, bool) {
	r, code, detail := p.command(step, "CAPABILITY")
	if code != "" {
		return nil, p.fail(s, code, detail)
	}
	if r.status != "OK" {
		return nil, p.fail(s, area[step]+".bad", "CAPABILITY refused: "+quote([]byte(r.text)))
	}
	var caps []string
	found := false
	for _, u := range r.untagged {
		if isUntagged(u, "CAPABILITY") {
			found = true
			caps = append(caps, strings.Fields(u[len("* CAPABILITY"):])...)
		}
	}
	if !found {
		caps = capsFromCode(r.text)
	}
	if len(caps) == 0 {
		return nil, p.fail(s, area[step]+".malformed", "CAPABILITY returned no capability list: "+quote([]byte(r.text)))
	}
	return caps, true
}

func (p *probe) startTLS(s *Step) bool {
	d := &StartTLSDetails{}
	s.Details = d
	if p.preauth {
		return p.fail(s, "starttls.unavailable", "the server sent PREAUTH on a cleartext connection; STARTTLS is impossible once authenticated (RFC 9051 section 7.1.4)")
	}
	if !p.caps.Has("STARTTLS") {
		return p.fail(s, "starttls.unavailable", "STARTTLS is not among the capabilities: "+strings.Join(p.caps.list, " "))
	}
	r, code, detail := p.command(StepStartTLS, "STARTTLS")
	if code != "" {
		return p.fail(s, code, detail)
	}
	switch r.status {
	case "NO":
		return p.fail(s, "starttls.refused", "server said: "+quote([]byte(r.text)))
	case "BAD":
		return p.fail(s, "starttls.bad", "server said: "+quote([]byte(r.text)))
	}
	if n := p.br.Buffered(); n > 0 {
		return p.fail(s, "starttls.malformed", fmt.Sprintf("the server sent %d bytes after its STARTTLS OK, before the TLS handshake (a response-injection risk); they were discarded", n))
	}
	if !p.handshake(s, &d.TLSDetails) {
		return false
	}
	caps, ok := p.fetchCaps(s, StepStartTLS)
	if !ok {
		return false
	}
	p.caps = parseCaps(caps)
	d.CapabilitiesAfter = p.caps.list
	return true
}
