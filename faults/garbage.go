package faults

import "bytes"

// Garbage corrupts the response to a command:
//
//	garbage:FETCH=broken-fetch      a FETCH response with an unclosed list first
//	garbage:FETCH=short-literal     a literal shorter than announced, then silence
//	garbage:FETCH=lf-only           every response line ends in LF, not CRLF
//	garbage:FETCH=unknown-untagged  an untagged response no RFC defines first
//	garbage:FETCH=endless           a line that never ends, until the client leaves
//
// Except for short-literal and endless, the command then runs normally.
type Garbage struct {
	// Command is a command target, as Reply.Command.
	Command string `json:"command"`
	Variant string `json:"variant"`

	scoped
}

func init() {
	register(new(Garbage), plain(parseGarbage), form{"garbage:COMMAND=VARIANT", "garbage:FETCH=broken-fetch"})
}

// garbageVariants lists the garbage fault variants.
var garbageVariants = []string{"broken-fetch", "short-literal", "lf-only", "unknown-untagged", "endless"}

// The bytes the garbage faults send, exported so tests can assert on them.
const (
	BrokenFetch     = "* 1 FETCH (UID 1 FLAGS (\\Seen)\r\n"
	ShortLiteral    = "* 1 FETCH (UID 1 BODY[] {100}\r\nSubject: cut short\r\n"
	UnknownUntagged = "* XYZZY 42 (frobnicated \"yes\")\r\n"
)

func parseGarbage(spec, args string) (Fault, error) {
	cmd, variant, err := cutCommand(spec, args, "garbage", "VARIANT")
	if err != nil {
		return nil, err
	}
	return &Garbage{Command: cmd, Variant: variant}, nil
}

func (g *Garbage) check() *fieldError {
	if e := canonCommand("command", &g.Command); e != nil {
		return e
	}
	v, e := oneOf("variant", "garbage variant", g.Variant, garbageVariants)
	g.Variant = v
	return e
}

// Kind returns "garbage".
func (g *Garbage) Kind() string { return "garbage" }

// Spec returns the text form.
func (g *Garbage) Spec() string {
	return "garbage:" + g.Command + "=" + g.Variant + scopeSuffix(&g.scope)
}

// OnCommand corrupts the response to a matching command.
func (g *Garbage) OnCommand(_ ConnInfo, cmd Command) Action {
	if !matchCommand(g.Command, cmd) {
		return Action{}
	}
	switch g.Variant {
	case "broken-fetch":
		return Action{Raw: []byte(BrokenFetch)}
	case "short-literal":
		return Action{Raw: []byte(ShortLiteral), Silence: true}
	case "lf-only":
		return Action{Rewrite: lfOnly}
	case "unknown-untagged":
		return Action{Raw: []byte(UnknownUntagged)}
	}
	// The server writes the endless line itself (Action.Endless).
	return Action{Endless: true}
}

// lfOnly turns a CRLF line ending into a bare LF.
func lfOnly(line []byte) []byte {
	if l, ok := bytes.CutSuffix(line, []byte("\r\n")); ok {
		return append(bytes.Clone(l), '\n')
	}
	return line
}
