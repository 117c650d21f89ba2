package faults

import (
	"fmt"
	"strings"
)

// Reply answers a command with NO or BAD instead of letting the server
// run it. The reply is the status, an optional response code and a text:
//
//	reply:SELECT=NO [NONEXISTENT] no such mailbox
//	reply:LOGIN=NO [UNAVAILABLE] try again later
//	reply:FETCH=NO [SERVERBUG] internal error
type Reply struct {
	// Command is "*" or upper-case IMAP command names, "UID FETCH" style,
	// joined by "|" (SELECT|EXAMINE).
	Command string `json:"command"`
	// Reply is what follows the tag, e.g. "NO [NOPERM] access denied".
	Reply string `json:"reply"`

	scoped
}

func init() {
	register(new(Reply), parseReply, form{"reply:COMMAND=NO|BAD [CODE] TEXT", "reply:SELECT|EXAMINE=NO [NONEXISTENT] no such mailbox"})
}

func parseReply(spec, rest string) (Fault, string, error) {
	cmd, value, err := cutTarget(spec, rest, "write reply:COMMAND=NO|BAD [CODE] text")
	if err != nil {
		return nil, "", err
	}
	reply, scope, err := readFinal(spec, value)
	return &Reply{Command: cmd, Reply: reply}, scope, err
}

func (r *Reply) check() *fieldError {
	if e := canonCommand("command", &r.Command); e != nil {
		return e
	}
	e := checkText("reply", r.Reply)
	if e != nil {
		return e
	}
	status, text, _ := strings.Cut(r.Reply, " ")
	if status, e = oneOf("reply", "reply status", status, []string{"NO", "BAD"}); e != nil {
		return e
	}
	if strings.TrimSpace(text) == "" {
		return &fieldError{"reply", fmt.Sprintf("no text after %s", status),
			fmt.Sprintf("IMAP needs one, e.g. %s [CODE] text", status)}
	}
	r.Reply = status + " " + text
	return nil
}

// Kind returns "reply".
func (r *Reply) Kind() string { return "reply" }

// Spec returns the text form.
func (r *Reply) Spec() string {
	return "reply:" + r.Command + "=" + finalText(r.Reply) + scopeSuffix(&r.scope)
}

// OnCommand answers a matching command with the reply.
func (r *Reply) OnCommand(_ ConnInfo, cmd Command) Action {
	if !matchCommand(r.Command, cmd) {
		return Action{}
	}
	return Action{Reply: r.Reply}
}
