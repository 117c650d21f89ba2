// Package faults describes the misbehaviours that the fake IMAP server can
// inject: delays, NO/BAD replies, dropped connections, bad certificates,
// broken greetings, edited capabilities, throttling, garbage bytes, BYE,
// broken STARTTLS, rewritten responses (wrong data in valid syntax) and
// changes of mailbox state under the client (state.go).
// Each fault is a small type in a file of its own, with a one-line text
// spec and a JSON form, and several compose at once. Parse documents the
// grammar; Unmarshal the JSON form. A command fault matches the command
// as the client sends it: name alternatives with "|", as SELECT|EXAMINE
// or LOGIN|AUTHENTICATE, since imapprobe sends EXAMINE and AUTHENTICATE.
//
// Faults decide; the server acts. A fault implements one or more hook
// interfaces below and answers with an Action; a Set merges the actions of
// all its faults at each hook, and the server carries out the merged Action.
// A hook says what its fault would do, whatever its Scope: the Set alone
// applies scopes (see Observed). Each kind registers itself from its own
// file (registry.go), and Grammar lists every kind's spec forms. The
// package knows nothing of the prober.
package faults

import (
	"crypto/tls"
	"io"
	"time"

	"github.com/imapprobe/imapprobe/internal/certs"
)

// Fault is one injectable misbehaviour.
type Fault interface {
	// Kind is the spec prefix, such as "delay" or "reply".
	Kind() string
	// Spec is the one-line text form; Parse(f.Spec()) gives an equal fault.
	Spec() string
	// Scope says for whom and how often the fault fires. Never nil.
	Scope() *Scope
}

// ConnInfo is what a hook may know about the connection it acts on.
type ConnInfo struct {
	ID uint64
	// User is "" until the client names a user (LOGIN, AUTHENTICATE) or the
	// server pre-authenticates the connection.
	User string
	// TLS reports whether the connection is encrypted at this point.
	TLS bool
}

// Command is a client command as the server first sees it.
type Command struct {
	Tag string
	// Name is upper-case, e.g. "SELECT", "UID FETCH" is reported as "FETCH"
	// with UID set.
	Name string
	UID  bool
}

// CloseMode says how the server ends a connection.
type CloseMode int

const (
	// CloseNone keeps the connection open.
	CloseNone CloseMode = iota
	// CloseFIN closes the connection normally.
	CloseFIN
	// CloseRST aborts the connection with a TCP reset (SO_LINGER 0).
	CloseRST
)

// StartTLSMode is how the server answers STARTTLS.
type StartTLSMode int

const (
	// StartTLSNormal answers OK and negotiates TLS.
	StartTLSNormal StartTLSMode = iota
	// StartTLSStall answers OK and then never starts the handshake.
	StartTLSStall
	// StartTLSPlaintext answers OK and then keeps talking plaintext.
	StartTLSPlaintext
)

// Action is what the server must do at a hook point. The zero value means
// "carry on as normal". Fields apply in the order they are listed.
type Action struct {
	// Delay is waited first.
	Delay time.Duration
	// Raw bytes are written to the client before anything else the server
	// sends at this point (a foreign banner, an unknown untagged response,
	// a broken FETCH, "* BYE ...").
	Raw []byte
	// Greeting replaces the server's own greeting line (without CRLF). At
	// the greeting hook only. Raw, if set, is sent instead of any line.
	Greeting string
	// PreAuth makes the greeting PREAUTH: the connection is logged in as
	// the first seeded user. At the greeting hook only.
	PreAuth bool
	// Reply answers a command with "TAG " + Reply + CRLF instead of passing
	// it to the server, e.g. "NO [NONEXISTENT] no such mailbox".
	Reply string
	// Silence: send nothing more, read and ignore the client until it
	// leaves or the server closes.
	Silence bool
	// Endless writes an unterminated line, forever, until the client leaves.
	Endless bool
	// Close ends the connection after the above.
	Close CloseMode
	// CutAfter, when > 0, lets the command through and closes the
	// connection (with Close, FIN if CloseNone) after exactly CutAfter bytes
	// of the response to it have been written.
	CutAfter int64
	// Rewrite, if set, transforms each response line (with its line ending)
	// the server writes in answer to this command.
	Rewrite func(line []byte) []byte
	// StartTLS changes how STARTTLS is answered. At the command hook only.
	StartTLS StartTLSMode
	// Changes are changes of mailbox state the server makes, in order, as
	// another session would (state faults, state.go). At the command hook
	// only.
	Changes []Change
}

// IsZero reports whether a asks for nothing, i.e. the fault did not act.
// TestActionIsZeroCoversEveryField keeps it in step with the fields.
func (a Action) IsZero() bool {
	return a.Delay == 0 && len(a.Raw) == 0 && a.Greeting == "" && !a.PreAuth && a.Reply == "" &&
		!a.Silence && !a.Endless && a.Close == CloseNone && a.CutAfter == 0 &&
		a.Rewrite == nil && a.StartTLS == StartTLSNormal && len(a.Changes) == 0
}

// AcceptHook acts on a fresh TCP connection, before TLS and the greeting.
type AcceptHook interface {
	OnAccept(c ConnInfo) Action
}

// HandshakeHook acts just before a TLS handshake (implicit or STARTTLS).
type HandshakeHook interface {
	BeforeHandshake(c ConnInfo) Action
}

// TLSHook chooses the TLS configuration a connection is offered. good is
// the server's normal configuration and ca the authority that signed it.
// The Set calls it only when the fault's Scope fires (every handshake is
// an occurrence), and it returns good itself to change nothing.
// Implementations should cache what they generate.
type TLSHook interface {
	TLSConfig(good *tls.Config, ca *certs.Authority) (*tls.Config, error)
}

// GreetingHook acts on the greeting.
type GreetingHook interface {
	OnGreeting(c ConnInfo) Action
}

// CapabilityHook rewrites every capability list the server advertises
// (untagged CAPABILITY and [CAPABILITY ...] codes). caps is upper-case.
type CapabilityHook interface {
	Capabilities(c ConnInfo, caps []string) []string
}

// CommandHook acts when a client command arrives, before the server sees it.
type CommandHook interface {
	OnCommand(c ConnInfo, cmd Command) Action
}

// WriterHook wraps the byte stream the server writes to the client, above
// TLS (throttling, cutting after N bytes in total). The returned writer must
// close the connection itself if it decides to drop it, using closer.
type WriterHook interface {
	WrapWriter(c ConnInfo, w io.Writer, closer func(CloseMode)) io.Writer
}
