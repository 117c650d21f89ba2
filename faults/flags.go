package faults

import (
	"fmt"
	"strings"
)

// Flags changes message flags as another client would (STORE) when a
// command arrives. A client with the mailbox selected hears
// "* N FETCH (UID U FLAGS (...))" at once if it idles, or with its next
// command's answer:
//
//	flags:IDLE=INBOX,+\Seen              the first message read elsewhere
//	flags:NOOP=INBOX,+\Flagged,-\Seen,all
//	flags:FETCH=INBOX,+$Junk,last
//
// Each +FLAG adds a flag and each -FLAG removes one; system flags are
// written canonically (\Seen), keywords as given. Messages are picked,
// and the change timed, as for expunge.
type Flags struct {
	// Command is a command target, as Reply.Command.
	Command string `json:"command"`
	Mailbox string `json:"mailbox"`
	// Add and Remove are flags, such as \Seen or $Junk.
	Add      []string `json:"add,omitempty"`
	Remove   []string `json:"remove,omitempty"`
	Messages string   `json:"messages,omitempty"`
	Count    int      `json:"count,omitempty"`
	After    Duration `json:"after,omitempty"`

	scoped
}

func init() {
	register(new(Flags), parseFlags,
		form{"flags:COMMAND=MAILBOX,+FLAG|-FLAG...[,PICK][,count=N][,after=DURATION]", `flags:IDLE=INBOX,+\Seen`})
}

func parseFlags(spec, rest string) (Fault, string, error) {
	a, err := parseStateArgs(spec, rest, `write flags:COMMAND=MAILBOX,+FLAG|-FLAG..., e.g. flags:IDLE=INBOX,+\Seen`)
	if err != nil {
		return nil, "", err
	}
	m, err := readMessageOpts(spec, a.opts, true, "+FLAG, -FLAG, first, last, all, count=N, after=DURATION")
	f := &Flags{Command: a.cmd, Mailbox: a.mailbox, Messages: m.messages, Count: m.count, After: m.after}
	for _, o := range m.rest {
		if o[0] == '+' {
			f.Add = append(f.Add, o[1:])
		} else {
			f.Remove = append(f.Remove, o[1:])
		}
	}
	return f, a.scope, err
}

// systemFlags are the flags a STORE may set, in their canonical case.
var systemFlags = []string{`\Answered`, `\Flagged`, `\Deleted`, `\Seen`, `\Draft`}

func (f *Flags) check() *fieldError {
	if e := canonCommand("command", &f.Command); e != nil {
		return e
	}
	if e := checkMailbox("mailbox", f.Mailbox); e != nil {
		return e
	}
	if len(f.Add)+len(f.Remove) == 0 {
		return &fieldError{"add", "no flag to change", `add or remove at least one flag, e.g. +\Seen`}
	}
	for _, list := range []struct {
		field string
		flags []string
	}{{"add", f.Add}, {"remove", f.Remove}} {
		for i, flag := range list.flags {
			canon, e := checkFlag(list.field, flag)
			if e != nil {
				return e
			}
			list.flags[i] = canon
		}
	}
	if e := checkMessages(&f.Messages, &f.Count, true); e != nil {
		return e
	}
	return checkAfter(f.After)
}

// checkFlag returns a system flag in its canonical case, or a keyword:
// an IMAP atom, without the characters an atom may not hold.
func checkFlag(field, flag string) (string, *fieldError) {
	if strings.HasPrefix(flag, `\`) {
		for _, sf := range systemFlags {
			if asciiLower(flag) == asciiLower(sf) {
				return sf, nil
			}
		}
		return "", &fieldError{field, fmt.Sprintf("unknown system flag %q", flag), "valid: " + strings.Join(systemFlags, ", ") + ", or a keyword such as $Junk"}
	}
	if flag == "" || strings.ContainsFunc(flag, func(r rune) bool { return r <= ' ' || r >= 0x7f || strings.ContainsRune(`(){%*"\],;`, r) }) {
		// "," and ";" are atom characters, but a spec could not hold them.
		return "", &fieldError{field, fmt.Sprintf("bad flag %q", flag), `a keyword is ASCII letters, digits and such, without spaces or (){%*"\],;, e.g. $Junk`}
	}
	return flag, nil
}

// Kind returns "flags".
func (f *Flags) Kind() string { return "flags" }

// Spec returns the text form.
func (f *Flags) Spec() string {
	var b strings.Builder
	b.WriteString("flags:" + f.Command + "=" + mailboxText(f.Mailbox))
	for _, flag := range f.Add {
		b.WriteString(",+" + flag)
	}
	for _, flag := range f.Remove {
		b.WriteString(",-" + flag)
	}
	return b.String() + messageSuffix(f.Messages, f.Count, f.After) + scopeSuffix(&f.scope)
}

// OnCommand asks for the flag change at a matching command.
func (f *Flags) OnCommand(_ ConnInfo, cmd Command) Action {
	if !matchCommand(f.Command, cmd) {
		return Action{}
	}
	return Action{Changes: []Change{ChangeFlags{Mailbox: f.Mailbox, Messages: orDefault(f.Messages, MessagesFirst),
		Count: countOf(f.Count), Add: f.Add, Remove: f.Remove, After: settle(cmd, f.After)}}}
}
