package faults

import "time"

// Expunge expunges messages as another session of the same user would
// (STORE +FLAGS (\Deleted), then EXPUNGE) when a command arrives. A client
// with the mailbox selected hears "* FETCH (FLAGS (\Deleted))" and
// "* N EXPUNGE" at its next NOOP or IDLE, as from a real server:
//
//	expunge:IDLE=INBOX                 the first message, while the client idles
//	expunge:NOOP=INBOX,last,count=2    the last two, answered with the NOOP
//	expunge:FETCH=INBOX,all            every message, before the FETCH is served
//
// first (the default), last or all pick the messages; count=N takes N.
// after=DURATION waits that long once the command has reached the server.
// On IDLE the change waits at least IdleSettle, so that it lands while
// the server idles.
type Expunge struct {
	// Command is a command target, as Reply.Command.
	Command string `json:"command"`
	Mailbox string `json:"mailbox"`
	// Messages is "last" or "all"; empty is the first.
	Messages string   `json:"messages,omitempty"`
	Count    int      `json:"count,omitempty"`
	After    Duration `json:"after,omitempty"`

	scoped
}

// IdleSettle is the least time a change triggered by IDLE waits, so that
// it arrives once the server is idling rather than before the
// continuation.
const IdleSettle = 50 * time.Millisecond

func init() {
	register(new(Expunge), parseExpunge,
		form{"expunge:COMMAND=MAILBOX[,PICK][,count=N][,after=DURATION]", "expunge:IDLE=INBOX"})
}

func parseExpunge(spec, rest string) (Fault, string, error) {
	a, err := parseStateArgs(spec, rest, "write expunge:COMMAND=MAILBOX[,first|last|all][,count=N][,after=DURATION]")
	if err != nil {
		return nil, "", err
	}
	m, err := readMessageOpts(spec, a.opts, true, "first, last, all, count=N, after=DURATION")
	if err == nil && len(m.rest) > 0 {
		err = specError(spec, "unknown option "+quote(m.rest[0]), "valid: first, last, all, count=N, after=DURATION")
	}
	return &Expunge{Command: a.cmd, Mailbox: a.mailbox, Messages: m.messages, Count: m.count, After: m.after}, a.scope, err
}

func (x *Expunge) check() *fieldError {
	if e := canonCommand("command", &x.Command); e != nil {
		return e
	}
	if e := checkMailbox("mailbox", x.Mailbox); e != nil {
		return e
	}
	if e := checkMessages(&x.Messages, &x.Count, true); e != nil {
		return e
	}
	return checkAfter(x.After)
}

// Kind returns "expunge".
func (x *Expunge) Kind() string { return "expunge" }

// Spec returns the text form.
func (x *Expunge) Spec() string {
	return "expunge:" + x.Command + "=" + mailboxText(x.Mailbox) +
		messageSuffix(x.Messages, x.Count, x.After) + scopeSuffix(&x.scope)
}

// OnCommand asks for the expunge at a matching command.
func (x *Expunge) OnCommand(_ ConnInfo, cmd Command) Action {
	if !matchCommand(x.Command, cmd) {
		return Action{}
	}
	return Action{Changes: []Change{ChangeExpunge{Mailbox: x.Mailbox, Messages: orDefault(x.Messages, MessagesFirst),
		Count: countOf(x.Count), After: settle(cmd, x.After)}}}
}

// settle is when a change triggered by cmd lands: after, and on IDLE at
// least IdleSettle.
func settle(cmd Command, after Duration) time.Duration {
	if cmd.Name == "IDLE" {
		return max(time.Duration(after), IdleSettle)
	}
	return time.Duration(after)
}
