package faults

// Bye sends "* BYE text" when a command arrives, instead of answering
// it, and closes the connection:
//
//	bye:SELECT=Server shutting down for maintenance
//	bye:*                      (with DefaultByeText)
type Bye struct {
	// Command is a command target, as Reply.Command.
	Command string `json:"command"`
	// Text follows "* BYE "; empty means DefaultByeText.
	Text string `json:"text,omitempty"`

	scoped
}

func init() {
	register(new(Bye), parseBye, form{"bye:COMMAND[=TEXT]", "bye:FETCH=Server shutting down"})
}

// DefaultByeText is the BYE text when a bye fault gives none.
const DefaultByeText = "Server shutting down"

func parseBye(spec, rest string) (Fault, string, error) {
	cmd, value, scope, hasText := cutName(rest)
	if !hasText {
		return &Bye{Command: cmd}, scope, nil
	}
	text, scope, err := readFinal(spec, value)
	if err == nil && text == "" {
		err = specError(spec, "empty BYE text", "write bye:COMMAND=TEXT or just bye:COMMAND")
	}
	return &Bye{Command: cmd, Text: text}, scope, err
}

func (b *Bye) check() *fieldError {
	if e := canonCommand("command", &b.Command); e != nil {
		return e
	}
	return checkText("text", b.Text)
}

// Kind returns "bye".
func (b *Bye) Kind() string { return "bye" }

// Spec returns the text form.
func (b *Bye) Spec() string {
	s := "bye:" + b.Command
	if b.Text != "" {
		s += "=" + finalText(b.Text)
	}
	return s + scopeSuffix(&b.scope)
}

// OnCommand says BYE to a matching command and closes.
func (b *Bye) OnCommand(_ ConnInfo, cmd Command) Action {
	if !matchCommand(b.Command, cmd) {
		return Action{}
	}
	text := b.Text
	if text == "" {
		text = DefaultByeText
	}
	return Action{Raw: []byte("* BYE " + text + "\r\n"), Close: CloseFIN}
}
