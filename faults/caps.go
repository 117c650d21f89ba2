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
// With refuse, AUTHENTICATE XOAUTH2 is answered RefuseReply. nth and
// times count the capability lists the edit changes (for refuse:
// AUTHENTICATE commands).
//
// The server acts as it advertised: a command that needs a capability the
// client was last told is missing (STARTTLS, AUTHENTICATE with a removed
// mechanism or, without SASL-IR, with an initial response, IDLE, MOVE...)
// is refused, and so is LOGIN once LOGINDISABLED was added; the replies
// are the No*Reply constants below. The README's table lists, per edit,
// what a client sees.
type Caps struct {
	// Op is "add", "remove" or "refuse".
	Op string `json:"op"`
	// Capability is upper-case, e.g. "STARTTLS" or "AUTH=PLAIN".
	Capability string `json:"capability"`

	scoped
}

func init() {
	register(new(Caps), plain(parseCaps),
		form{"caps:-CAP | caps:+CAP", "caps:-STARTTLS"},
		form{"caps:refuse=AUTH=MECH", "caps:refuse=AUTH=PLAIN"},
	)
}

// RefuseReply answers AUTHENTICATE with a mechanism refused by caps:refuse,
// as Dovecot 2.3.19 answers a mechanism it does not offer.
const RefuseReply = NoMechanismReply

// A server refuses what a caps edit took away: these are the tagged
// replies (after "TAG ") the fake server sends, Dovecot 2.3.19's own.
// integration/dovecot_refusals_test.go checks those a stock Dovecot can
// give against a real one; NoStartTLSReply is what Dovecot's imap-login
// sends when it has no TLS (client_cmd_starttls).
const (
	// NoStartTLSReply answers STARTTLS once caps:-STARTTLS removed it.
	NoStartTLSReply = "BAD TLS support isn't enabled."
	// NoMechanismReply answers AUTHENTICATE M once caps:-AUTH=M removed M.
	NoMechanismReply = "NO [ALERT] Unsupported authentication mechanism."
	// LoginDisabledReply answers LOGIN once caps:+LOGINDISABLED added it,
	// on any port.
	LoginDisabledReply = "NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) connections."
	// NoCommandReply answers, before login, a command whose capability
	// caps:-CAP removed (IDLE, ENABLE, ID, ...).
	NoCommandReply = "BAD Error in IMAP command received by server."
	// NoCommandLoggedInFormat is that reply after login; %s is the command
	// name as "IDLE" or "UID MOVE".
	NoCommandLoggedInFormat = "BAD Error in IMAP command %s: Unknown command (0.001 + 0.000 secs)."
)

const (
	capsAdd    = "add"
	capsRemove = "remove"
	capsRefuse = "refuse"
)

const capsUsage = "write caps:-CAP, caps:+CAP or caps:refuse=AUTH=MECH"

func parseCaps(spec, args string) (Fault, error) {
	c := &Caps{}
	switch {
	case strings.HasPrefix(args, "-"):
		c.Op, c.Capability = capsRemove, args[1:]
	case strings.HasPrefix(args, "+"):
		c.Op, c.Capability = capsAdd, args[1:]
	case strings.HasPrefix(asciiLower(args), capsRefuse+"="):
		c.Op, c.Capability = capsRefuse, args[len(capsRefuse)+1:]
	default:
		return nil, specError(spec, fmt.Sprintf("unknown capability edit %q", args), capsUsage)
	}
	return c, nil
}

// capChar reports whether r may appear in a capability name: letters,
// digits and the punctuation of real ones (AUTH=PLAIN, LITERAL+,
// X-GM-EXT-1, QUOTA=RES-STORAGE, ...).
func capChar(r rune) bool {
	return 'A' <= r && r <= 'Z' || 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || strings.ContainsRune("=+-._/:", r)
}

func (c *Caps) check() *fieldError {
	op, e := oneOf("op", "capability edit", c.Op, []string{capsAdd, capsRemove, capsRefuse})
	if e != nil {
		return e
	}
	c.Op = op
	if c.Capability == "" || strings.IndexFunc(c.Capability, func(r rune) bool { return !capChar(r) }) >= 0 {
		return &fieldError{"capability", fmt.Sprintf("bad capability %q", c.Capability),
			"a capability is letters, digits and =+-._/: only, e.g. STARTTLS or AUTH=PLAIN"}
	}
	c.Capability = asciiUpper(c.Capability)
	if c.Op == capsRefuse && !strings.HasPrefix(c.Capability, "AUTH=") {
		return &fieldError{"capability", fmt.Sprintf("refuse needs an AUTH= capability, not %q", c.Capability),
			"e.g. AUTH=XOAUTH2"}
	}
	return nil
}

// Kind returns "caps".
func (c *Caps) Kind() string { return "caps" }

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

// Capabilities applies an add or remove edit to one capability list.
func (c *Caps) Capabilities(_ ConnInfo, caps []string) []string {
	has := slices.Contains(caps, c.Capability)
	switch {
	case c.Op == capsRemove && has:
		return slices.DeleteFunc(slices.Clone(caps), func(s string) bool { return s == c.Capability })
	case c.Op == capsAdd && !has:
		return append(slices.Clip(caps), c.Capability)
	}
	return caps
}

// advertise adds the mechanism that refuse refuses, to every list: the
// refusal is what the scope counts.
func (c *Caps) advertise(caps []string) []string {
	if c.Op == capsRefuse && !slices.Contains(caps, c.Capability) {
		return append(slices.Clip(caps), c.Capability)
	}
	return caps
}

// OnAuthenticate refuses the advertised mechanism.
func (c *Caps) OnAuthenticate(_ ConnInfo, mechanism string) Action {
	if c.Op != capsRefuse || "AUTH="+strings.ToUpper(mechanism) != c.Capability {
		return Action{}
	}
	return Action{Reply: RefuseReply}
}
