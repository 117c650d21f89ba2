package faults

// UIDValidity gives a mailbox a new UIDVALIDITY when a command arrives,
// before the server answers it, as a server does that rebuilt its index:
// the messages stay, with new UIDs from 1, and a client must drop what it
// cached of the mailbox.
//
//	uidvalidity:SELECT|EXAMINE=INBOX;nth=2           at the second SELECT or EXAMINE
//	uidvalidity:LOGIN|AUTHENTICATE=INBOX;nth=2       between the first session and the second
//
// nth counts the matching commands of every connection, whatever mailbox
// they name.
type UIDValidity struct {
	// Command is a command target, as Reply.Command.
	Command string `json:"command"`
	Mailbox string `json:"mailbox"`

	scoped
}

func init() {
	register(new(UIDValidity), parseUIDValidity,
		form{"uidvalidity:COMMAND=MAILBOX", "uidvalidity:SELECT|EXAMINE=INBOX"})
}

func parseUIDValidity(spec, rest string) (Fault, string, error) {
	const usage = "write uidvalidity:COMMAND=MAILBOX, e.g. uidvalidity:SELECT|EXAMINE=INBOX;nth=2"
	a, err := parseStateArgs(spec, rest, usage)
	if err == nil && len(a.opts) > 0 {
		err = specError(spec, "options after the mailbox", usage)
	}
	return &UIDValidity{Command: a.cmd, Mailbox: a.mailbox}, a.scope, err
}

func (u *UIDValidity) check() *fieldError {
	if e := canonCommand("command", &u.Command); e != nil {
		return e
	}
	return checkMailbox("mailbox", u.Mailbox)
}

// Kind returns "uidvalidity".
func (u *UIDValidity) Kind() string { return "uidvalidity" }

// Spec returns the text form.
func (u *UIDValidity) Spec() string {
	return "uidvalidity:" + u.Command + "=" + mailboxText(u.Mailbox) + scopeSuffix(&u.scope)
}

// OnCommand asks for the new UIDVALIDITY before a matching command.
func (u *UIDValidity) OnCommand(_ ConnInfo, cmd Command) Action {
	if !matchCommand(u.Command, cmd) {
		return Action{}
	}
	return Action{Changes: []Change{ChangeUIDValidity{Mailbox: u.Mailbox}}}
}
