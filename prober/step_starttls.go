package prober

import (
	"fmt"
	"strings"
)

// StartTLSDetails is the evidence of the starttls step.
type StartTLSDetails struct {
	TLSDetails
	CapabilitiesAfter []string `json:"capabilities_after,omitempty"`
}

func (p *probe) startTLS(in session, s *Step) (session, bool) {
	d := &StartTLSDetails{}
	s.Details = d
	if in.server.preauth {
		return in, p.fail(s, "starttls.unavailable", "the server sent PREAUTH on a cleartext connection; STARTTLS is impossible once authenticated (RFC 9051 section 7.1.4)")
	}
	if !in.server.caps.Has("STARTTLS") {
		return in, p.fail(s, "starttls.unavailable", "STARTTLS is not among the capabilities: "+strings.Join(in.server.caps.list, " "))
	}
	r, code, detail := p.command(in.wire, StepStartTLS, "STARTTLS")
	if code != "" {
		return in, p.fail(s, code, detail)
	}
	switch r.status {
	case "NO":
		return in, p.fail(s, "starttls.refused", "server said: "+quote([]byte(r.text)))
	case "BAD":
		return in, p.fail(s, "starttls.bad", "server said: "+quote([]byte(r.text)))
	}
	if n := in.wire.buffered(); n > 0 {
		return in, p.fail(s, "starttls.malformed", fmt.Sprintf("the server sent %d bytes after its STARTTLS OK, before the TLS handshake (a response-injection risk); they were discarded", n))
	}
	in, ok := p.handshake(in, s, &d.TLSDetails)
	if !ok {
		return in, false
	}
	caps, ok := p.fetchCaps(in.wire, s, StepStartTLS)
	if !ok {
		return in, false
	}
	in.server.caps = parseCaps(caps)
	d.CapabilitiesAfter = in.server.caps.list
	return in, true
}
