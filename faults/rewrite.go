package faults

import "bytes"

// Rewrite edits the server's response to a command, replacing every
// occurrence of one text by another in each response line. It simulates
// servers and proxies that send wrong data in valid syntax:
//
//	rewrite:SELECT=[READ-WRITE]>[READ-ONLY]   SELECT opens read-only
//	rewrite:FETCH=RFC822.SIZE >RFC822.SIZE 9  RFC822.SIZE is wrong
//
// The text to find may not contain ">"; the replacement may be empty.
type Rewrite struct {
	// Command is a command target, as Reply.Command.
	Command string `json:"command"`
	Old     string `json:"old"`
	New     string `json:"new"`

	scoped
}

func init() {
	register(new(Rewrite), parseRewrite, form{"rewrite:COMMAND=OLD>NEW", "rewrite:FETCH=RFC822.SIZE >RFC822.SIZE 9"})
}

func parseRewrite(spec, rest string) (Fault, string, error) {
	cmd, edit, err := cutTarget(spec, rest, "write rewrite:COMMAND=OLD>NEW")
	if err != nil {
		return nil, "", err
	}
	old, edit, ok, err := readUntil(spec, edit, '>')
	if err != nil {
		return nil, "", err
	}
	if !ok || old == "" {
		return nil, "", specError(spec, `missing "OLD>NEW"`,
			"write rewrite:COMMAND=OLD>NEW, e.g. rewrite:SELECT=[READ-WRITE]>[READ-ONLY]")
	}
	repl, scope, err := readFinal(spec, edit)
	return &Rewrite{Command: cmd, Old: old, New: repl}, scope, err
}

func (r *Rewrite) check() *fieldError {
	if e := canonCommand("command", &r.Command); e != nil {
		return e
	}
	if r.Old == "" {
		return &fieldError{"old", "empty text to find", "give the text to replace, e.g. [READ-WRITE]"}
	}
	if e := checkText("old", r.Old); e != nil {
		return e
	}
	return checkText("new", r.New)
}

// Kind returns "rewrite".
func (r *Rewrite) Kind() string { return "rewrite" }

// Spec returns the text form.
func (r *Rewrite) Spec() string {
	return "rewrite:" + r.Command + "=" + untilText(r.Old, '>') + ">" + finalText(r.New) + scopeSuffix(&r.scope)
}

// OnCommand rewrites the response lines to a matching command.
func (r *Rewrite) OnCommand(_ ConnInfo, cmd Command) Action {
	if !matchCommand(r.Command, cmd) {
		return Action{}
	}
	old, repl := []byte(r.Old), []byte(r.New)
	return Action{Rewrite: func(line []byte) []byte {
		return bytes.ReplaceAll(line, old, repl)
	}}
}
