package faults

// Rename renames a mailbox when a command arrives, before the server
// answers it, as an administrator or another client would between two
// sessions:
//
//	rename:LOGIN|AUTHENTICATE=Sent>Sent Items;nth=2   between the first session and the second
//	rename:SELECT|EXAMINE=INBOX>Old                  just before the mailbox is opened
//
// OLD and NEW are quoted as rewrite's are when they hold ">" or end in
// what reads as a scope option. Renaming a mailbox that is gone, or to a
// name that exists, changes nothing (the server logs why). The fake
// renames the mailbox alone, not the mailboxes below it.
type Rename struct {
	// Command is a command target, as Reply.Command.
	Command string `json:"command"`
	From    string `json:"from"`
	To      string `json:"to"`

	scoped
}

func init() {
	register(new(Rename), parseRename, form{"rename:COMMAND=OLD>NEW", "rename:LOGIN|AUTHENTICATE=Sent>Sent Items"})
}

func parseRename(spec, rest string) (Fault, string, error) {
	const usage = "write rename:COMMAND=OLD>NEW, e.g. rename:LOGIN|AUTHENTICATE=Sent>Sent Items;nth=2"
	cmd, value, err := cutTarget(spec, rest, usage)
	if err != nil {
		return nil, "", err
	}
	from, value, ok, err := readUntil(spec, value, '>')
	if err != nil {
		return nil, "", err
	}
	if !ok {
		return nil, "", specError(spec, `missing "OLD>NEW"`, usage)
	}
	to, scope, err := readFinal(spec, value)
	return &Rename{Command: cmd, From: from, To: to}, scope, err
}

func (r *Rename) check() *fieldError {
	if e := canonCommand("command", &r.Command); e != nil {
		return e
	}
	if e := checkMailbox("from", r.From); e != nil {
		return e
	}
	if e := checkMailbox("to", r.To); e != nil {
		return e
	}
	if r.From == r.To {
		return &fieldError{"to", "the same name twice", "rename to another name"}
	}
	return nil
}

// Kind returns "rename".
func (r *Rename) Kind() string { return "rename" }

// Spec returns the text form.
func (r *Rename) Spec() string {
	return "rename:" + r.Command + "=" + untilText(r.From, '>') + ">" + finalText(r.To) + scopeSuffix(&r.scope)
}

// OnCommand asks for the rename before a matching command.
func (r *Rename) OnCommand(_ ConnInfo, cmd Command) Action {
	if !matchCommand(r.Command, cmd) {
		return Action{}
	}
	return Action{Changes: []Change{ChangeRename{From: r.From, To: r.To}}}
}
