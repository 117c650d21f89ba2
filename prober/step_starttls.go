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
