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
	// Command is an upper-case IMAP command name, "UID FETCH" style, or "*".
	Command string `json:"command"`
	// Reply is what follows the tag, e.g. "NO [NOPERM] access denied".
	Reply string `json:"reply"`

	scope Scope
}

func parseReply(spec, args string) (Fault, error) {
	cmd, reply, err := cutCommand(spec, args, "reply", "NO|BAD [CODE] text")
	if err != nil {
		return nil, err
	}
	status, text, _ := strings.Cut(reply, " ")
	status, err = oneOf(spec, "reply status", status, []string{"NO", "BAD"})
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(text) == "" {
		return nil, specError(spec, fmt.Sprintf("no text after %s", status),
			fmt.Sprintf("IMAP needs one, e.g. reply:%s=%s [CODE] text", cmd, status))
	}
	return &Reply{Command: cmd, Reply: status + " " + text}, nil
}

// Kind returns "reply".
func (r *Reply) Kind() string { return "reply" }

// Scope returns the fault's scope.
func (r *Reply) Scope() *Scope { return &r.scope }

// Spec returns the text form.
func (r *Reply) Spec() string {
	return "reply:" + r.Command + "=" + r.Reply + scopeSuffix(&r.scope)
}

// OnCommand answers a matching command with the reply.
func (r *Reply) OnCommand(c ConnInfo, cmd Command) Action {
	if !matchCommand(r.Command, cmd) || !r.scope.Fire(c.User) {
		return Action{}
	}
	return Action{Reply: r.Reply}
}
