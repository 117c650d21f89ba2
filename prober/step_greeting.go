package prober

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
)

// GreetingDetails is the evidence of the greeting step.
type GreetingDetails struct {
	Text         string   `json:"text"`
	Status       string   `json:"status,omitempty"` // OK, PREAUTH or BYE
	Capabilities []string `json:"capabilities,omitempty"`
}

func (p *probe) greeting(in session, s *Step) (session, bool) {
	d := &GreetingDetails{}
	s.Details = d
	line, err := in.wire.readLine()
	if err != nil {
		var partial *partialLineError
		if errors.As(err, &partial) && !isTimeout(err) {
			if (strings.HasPrefix(partial.data, "* ") || partial.data == "*") && isClosed(partial.err) {
				// an IMAP greeting began, then the connection ended: not a wrong port
				return in, p.fail(s, "greeting.closed", fmt.Sprintf("the server closed the connection in the middle of the greeting, after %d bytes: %s (%v)", len(partial.data), quote([]byte(partial.data)), partial.err))
			}
			detail, hint := guessProtocol(partial.data, p.t.Port)
			return in, p.failHint(s, "greeting.malformed", detail+" (then: "+partial.err.Error()+")", hint)
		}
		if errors.Is(err, syscall.ECONNRESET) {
			return in, p.resetOnOpen(err)
		}
		code, detail := p.ioCode(in.wire.tap, StepGreeting, err)
		switch {
		case code.Kind() == "timeout":
			return in, p.failHint(s, "greeting.timeout", detail, p.greetingTimeoutHint())
		case code.Kind() == "dropped":
			return in, p.fail(s, "greeting.closed", "the server closed the connection without a greeting: "+err.Error())
		}
		return in, p.fail(s, "greeting.malformed", detail)
	}
	d.Text = line
	rest, ok := strings.CutPrefix(line, "* ")
	if ok {
		kind, text, _ := strings.Cut(rest, " ")
		switch strings.ToUpper(kind) {
		case "OK", "PREAUTH":
			d.Status = strings.ToUpper(kind)
			in.server.preauth = d.Status == "PREAUTH"
			d.Capabilities = capsFromCode(text)
			in.server.caps = parseCaps(d.Capabilities)
			return in, true
		case "BYE":
			d.Status = "BYE"
			return in, p.fail(s, "greeting.bye", "server said: "+quote([]byte(line)))
		}
	}
	detail, hint := guessProtocol(line, p.t.Port)
	return in, p.failHint(s, "greeting.malformed", detail, hint)
}

func (p *probe) greetingTimeoutHint() string {
	info := catalog()["greeting.timeout"].Fix
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
