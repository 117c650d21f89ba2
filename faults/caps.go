package faults

import (
	"fmt"
	"slices"
	"strings"
)

// Caps edits the capabilities the server advertises:
//
//	caps:-STARTTLS              drop a capability
//	caps:+LOGINDISABLED         add one
//	caps:-AUTH=PLAIN            drop a mechanism
//	caps:refuse=AUTH=XOAUTH2    advertise a mechanism, then refuse it
//
// With refuse, AUTHENTICATE XOAUTH2 is answered RefuseReply (Dovecot's
// reply to an unsupported mechanism). nth and times count the capability
// lists the edit changes (for refuse: AUTHENTICATE commands).
type Caps struct {
	// Op is "add", "remove" or "refuse".
	Op string `json:"op"`
	// Capability is upper-case, e.g. "STARTTLS" or "AUTH=PLAIN".
	Capability string `json:"capability"`

	scope Scope
}

// RefuseReply answers AUTHENTICATE with a mechanism refused by caps:refuse.
const RefuseReply = "BAD Unsupported authentication mechanism."

const (
	capsAdd    = "add"
	capsRemove = "remove"
	capsRefuse = "refuse"
)

func parseCaps(spec, args string) (Fault, error) {
	const usage = "write caps:-CAP, caps:+CAP or caps:refuse=AUTH=MECH"
	c := &Caps{}
	var capability string
	switch {
	case strings.HasPrefix(args, "-"):
		c.Op, capability = capsRemove, args[1:]
	case strings.HasPrefix(args, "+"):
		c.Op, capability = capsAdd, args[1:]
	case strings.HasPrefix(strings.ToLower(args), capsRefuse+"="):
		c.Op, capability = capsRefuse, args[len(capsRefuse)+1:]
	default:
		return nil, specError(spec, fmt.Sprintf("unknown capability edit %q", args), usage)
	}
	c.Capability = strings.ToUpper(capability)
	if c.Capability == "" || strings.ContainsAny(c.Capability, " ()[]{}\"%*\\") {
		return nil, specError(spec, fmt.Sprintf("bad capability %q", capability), usage)
	}
	if c.Op == capsRefuse && !strings.HasPrefix(c.Capability, "AUTH=") {
		return nil, specError(spec, fmt.Sprintf("refuse needs an AUTH= capability, not %q", capability),
			"write e.g. caps:refuse=AUTH=XOAUTH2")
	}
	return c, nil
}

// Kind returns "caps".
func (c *Caps) Kind() string { return "caps" }

// Scope returns the fault's scope.
func (c *Caps) Scope() *Scope { return &c.scope }

// Spec returns the text form.
func (c *Caps) Spec() string {
	var s string
	switch c.Op {
	case capsRemove:
		s = "-" + c.Capability
	case capsAdd:
		s = "+" + c.Capability
	default:
		s = c.Op + "=" + c.Capability
	}
	return "caps:" + s + scopeSuffix(&c.scope)
}

// firesBeforeUser: AUTHENTICATE names its user inside the SASL exchange,
// after the refusal.
func (c *Caps) firesBeforeUser() bool { return c.Op == capsRefuse }

// Capabilities applies the edit to one capability list.
func (c *Caps) Capabilities(ci ConnInfo, caps []string) []string {
	has := slices.Contains(caps, c.Capability)
	switch {
	case c.Op == capsRemove && has && c.scope.Fire(ci.User):
		return slices.DeleteFunc(slices.Clone(caps), func(s string) bool { return s == c.Capability })
	case c.Op == capsAdd && !has && c.scope.Fire(ci.User),
		c.Op == capsRefuse && !has:
		return append(slices.Clip(caps), c.Capability)
	}
	return caps
}

// OnAuthenticate refuses the advertised mechanism.
func (c *Caps) OnAuthenticate(ci ConnInfo, mechanism string) Action {
	if c.Op != capsRefuse || "AUTH="+strings.ToUpper(mechanism) != c.Capability || !c.scope.Fire(ci.User) {
		return Action{}
	}
	return Action{Reply: RefuseReply}
}
