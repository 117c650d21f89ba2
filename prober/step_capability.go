package prober

import "strings"

// CapabilityDetails is the evidence of the capability step (before TLS for
// starttls, before authentication otherwise).
type CapabilityDetails struct {
	Capabilities []string `json:"capabilities"`
	Mechanisms   []string `json:"mechanisms,omitempty"`
	// From is where the list came from: "greeting" (its [CAPABILITY]
	// code, so no command was needed) or "command".
	From string `json:"from"`
}

func (p *probe) capability(in session, s *Step) (session, bool) {
	d := &CapabilityDetails{From: "greeting"}
	s.Details = d
	if greeted := in.server.caps; greeted.Has("IMAP4rev1") || greeted.Has("IMAP4rev2") {
		// RFC 9051 section 7.1: a greeting's code saves the round trip
		s.Note = "from the greeting's [CAPABILITY] code; no CAPABILITY command was needed"
	} else {
		caps, ok := p.fetchCaps(in.wire, s, StepCapability)
		if !ok {
			return in, false
		}
		in.server.caps, d.From = parseCaps(caps), "command"
	}
	d.Capabilities = in.server.caps.list
	d.Mechanisms = in.server.caps.mechanisms()
	return in, true
}

// fetchCaps runs CAPABILITY on the hand-driven connection.
func (p *probe) fetchCaps(w *wire, s *Step, step string) ([]string, bool) {
	r, code, detail := p.command(w, step, "CAPABILITY")
	if code != "" {
		return nil, p.fail(s, code, detail)
	}
	if r.status != "OK" {
		return nil, p.fail(s, genericCode(step, "bad"), "CAPABILITY refused: "+quote([]byte(r.text)))
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
		return nil, p.fail(s, genericCode(step, "malformed"), "CAPABILITY returned no capability list: "+quote([]byte(r.text)))
	}
	return caps, true
}
