package faults

// NewMail delivers new messages to a mailbox when a command arrives, as
// a mail delivery agent would. A client with the mailbox selected hears
// "* N EXISTS" at once if it idles, or with its next command's answer:
//
//	newmail:IDLE=INBOX                  one message, while the client idles
//	newmail:NOOP=INBOX,count=3          three, answered with the NOOP
//	newmail:IDLE=INBOX,after=2s         two seconds into IDLE
//
// after=DURATION and IDLE's least wait are as for expunge.
type NewMail struct {
	// Command is a command target, as Reply.Command.
	Command string   `json:"command"`
	Mailbox string   `json:"mailbox"`
	Count   int      `json:"count,omitempty"`
	After   Duration `json:"after,omitempty"`

	scoped
}

func init() {
	register(new(NewMail), parseNewMail,
		form{"newmail:COMMAND=MAILBOX[,count=N][,after=DURATION]", "newmail:IDLE=INBOX"})
}

func parseNewMail(spec, rest string) (Fault, string, error) {
	const valid = "count=N, after=DURATION"
	a, err := parseStateArgs(spec, rest, "write newmail:COMMAND=MAILBOX[,count=N][,after=DURATION]")
	if err != nil {
		return nil, "", err
	}
	m, err := readMessageOpts(spec, a.opts, false, valid)
	if err == nil && len(m.rest) > 0 {
		err = specError(spec, "unknown option "+quote(m.rest[0]), "valid: "+valid)
	}
	return &NewMail{Command: a.cmd, Mailbox: a.mailbox, Count: m.count, After: m.after}, a.scope, err
}

func (n *NewMail) check() *fieldError {
	if e := canonCommand("command", &n.Command); e != nil {
		return e
	}
	if e := checkMailbox("mailbox", n.Mailbox); e != nil {
		return e
	}
	none := ""
	if e := checkMessages(&none, &n.Count, false); e != nil {
		return e
	}
	return checkAfter(n.After)
}

// Kind returns "newmail".
func (n *NewMail) Kind() string { return "newmail" }

// Spec returns the text form.
func (n *NewMail) Spec() string {
	return "newmail:" + n.Command + "=" + mailboxText(n.Mailbox) + messageSuffix("", n.Count, n.After) + scopeSuffix(&n.scope)
}

// OnCommand asks for the delivery at a matching command.
func (n *NewMail) OnCommand(_ ConnInfo, cmd Command) Action {
	if !matchCommand(n.Command, cmd) {
		return Action{}
	}
	return Action{Changes: []Change{ChangeAppend{Mailbox: n.Mailbox, Count: countOf(n.Count), After: settle(cmd, n.After)}}}
}
