package faults

// StartTLS breaks the STARTTLS command:
//
//	starttls:stall       answer OK, then never start the handshake
//	starttls:plaintext   answer OK, then keep talking plaintext
//
// nth and times count STARTTLS commands.
type StartTLS struct {
	Mode string `json:"mode"`

	scoped
}

func init() {
	register(new(StartTLS), plain(parseStartTLS), form{"starttls:stall|plaintext", "starttls:stall"})
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

// Spec returns the text form.
func (s *StartTLS) Spec() string { return "starttls:" + s.Mode + scopeSuffix(&s.scope) }

func (s *StartTLS) firesBeforeUser() bool { return true }

// OnCommand changes how STARTTLS is answered.
func (s *StartTLS) OnCommand(_ ConnInfo, cmd Command) Action {
	if cmd.Name != "STARTTLS" {
		return Action{}
	}
	return Action{StartTLS: startTLSModes[s.Mode]}
}
