package faults

// StartTLS breaks the STARTTLS command:
//
//	starttls:stall       answer OK, then never start the handshake
//	starttls:plaintext   answer OK, then keep talking plaintext
type StartTLS struct {
	Mode string `json:"mode"`

	scope Scope
}

var startTLSModes = map[string]StartTLSMode{"stall": StartTLSStall, "plaintext": StartTLSPlaintext}

func parseStartTLS(_, args string) (Fault, error) { return &StartTLS{Mode: args}, nil }

func (s *StartTLS) check() *fieldError {
	m, e := oneOf("mode", "starttls mode", s.Mode, []string{"stall", "plaintext"})
	s.Mode = m
	return e
}

// Kind returns "starttls".
func (s *StartTLS) Kind() string { return "starttls" }

// Scope returns the fault's scope; nth and times count STARTTLS commands.
func (s *StartTLS) Scope() *Scope { return &s.scope }

// Spec returns the text form.
func (s *StartTLS) Spec() string { return "starttls:" + s.Mode + scopeSuffix(&s.scope) }

func (s *StartTLS) firesBeforeUser() bool { return true }

// OnCommand changes how STARTTLS is answered.
func (s *StartTLS) OnCommand(c ConnInfo, cmd Command) Action {
	if cmd.Name != "STARTTLS" || !s.scope.Fire(c.User) {
		return Action{}
	}
	return Action{StartTLS: startTLSModes[s.Mode]}
}
