package faults

import (
	"crypto/tls"
	"io"
	"slices"

	"github.com/imapprobe/imapprobe/internal/certs"
)

// Set is the list of active faults. The server calls its methods at each
// hook; every fault that implements the hook is asked in order and their
// actions are merged by Merge. A nil or empty Set changes nothing.
//
// A Set is safe for concurrent use by many connections. To change the
// active faults at run time, replace the whole Set (atomically), do not
// modify one in place.
type Set []Fault

// Merge combines two actions taken at the same hook; a comes from the fault
// listed first. The rule:
//   - Delay: the delays add up.
//   - Raw: b's bytes follow a's.
//   - Greeting, Reply: the first non-empty one wins.
//   - PreAuth, Silence, Endless: any one sets it.
//   - Close: the strongest wins (RST over FIN over none).
//   - CutAfter: the smallest positive one wins (the earliest cut).
//   - Rewrite: both apply, a's first.
//   - StartTLS: the first one that is not StartTLSNormal wins.
//   - Changes: b's follow a's.
//
// The result never shares Raw's or Changes' backing array with a or b.
func Merge(a, b Action) Action {
	a.Delay += b.Delay
	if len(b.Raw) > 0 || len(a.Raw) > 0 {
		a.Raw = append(slices.Clip(a.Raw), b.Raw...)
	}
	if a.Greeting == "" {
		a.Greeting = b.Greeting
	}
	a.PreAuth = a.PreAuth || b.PreAuth
	if a.Reply == "" {
		a.Reply = b.Reply
	}
	a.Silence = a.Silence || b.Silence
	a.Endless = a.Endless || b.Endless
	a.Close = max(a.Close, b.Close)
	if b.CutAfter > 0 && (a.CutAfter == 0 || b.CutAfter < a.CutAfter) {
		a.CutAfter = b.CutAfter
	}
	a.Rewrite = chain(a.Rewrite, b.Rewrite)
	if a.StartTLS == StartTLSNormal {
		a.StartTLS = b.StartTLS
	}
	if len(b.Changes) > 0 || len(a.Changes) > 0 {
		a.Changes = append(slices.Clip(a.Changes), b.Changes...)
	}
	return a
}

func chain(first, then func([]byte) []byte) func([]byte) []byte {
	switch {
	case first == nil:
		return then
	case then == nil:
		return first
	}
	return func(line []byte) []byte { return then(first(line)) }
}

// Observed is a Set whose hook methods also report each fault that acted,
// so a server can record which faults fired. Fired, if not nil, is called
// with the hook's name ("accept", "handshake", "tls", "greeting",
// "capabilities", "command", "writer") and the fault.
//
// Observed is the one dispatcher of the hooks, and so the one place where
// scope applies: a fault's hook says what it would do, and a non-zero
// Action, a different TLS configuration, a changed capability list or
// another writer is an occurrence. The fault's Scope counts it, and the
// fault acts on it (its effect is kept, Fired is told) only if the Scope
// says so. A TLSHook fault is asked its Scope first, as every handshake is
// an occurrence for it and its configuration may be costly to make.
type Observed struct {
	Set   Set
	Fired func(hook string, f Fault)
}

// fires counts an occurrence of f at hook against f's Scope and reports
// whether f acts on it, telling Fired if so.
func (o Observed) fires(hook string, f Fault, user string) bool {
	if !f.Scope().Fire(user) {
		return false
	}
	o.fired(hook, f)
	return true
}

func (o Observed) fired(hook string, f Fault) {
	if o.Fired != nil {
		o.Fired(hook, f)
	}
}

// collect merges the actions of every fault that implements hook H and
// fires.
func collect[H any](o Observed, hook string, c ConnInfo, act func(H) Action) Action {
	var out Action
	for _, f := range o.Set {
		if h, ok := f.(H); ok {
			if a := act(h); !a.IsZero() && o.fires(hook, f, c.User) {
				out = Merge(out, a)
			}
		}
	}
	return out
}

// OnAccept merges the AcceptHook actions for a fresh connection.
func (o Observed) OnAccept(c ConnInfo) Action {
	return collect(o, "accept", c, func(h AcceptHook) Action { return h.OnAccept(c) })
}

// BeforeHandshake merges the HandshakeHook actions before a TLS handshake.
func (o Observed) BeforeHandshake(c ConnInfo) Action {
	return collect(o, "handshake", c, func(h HandshakeHook) Action { return h.BeforeHandshake(c) })
}

// OnGreeting merges the GreetingHook actions.
func (o Observed) OnGreeting(c ConnInfo) Action {
	return collect(o, "greeting", c, func(h GreetingHook) Action { return h.OnGreeting(c) })
}

// OnCommand merges the CommandHook actions for a command.
func (o Observed) OnCommand(c ConnInfo, cmd Command) Action {
	return collect(o, "command", c, func(h CommandHook) Action { return h.OnCommand(c, cmd) })
}

// OnAuthenticate is OnCommand for an AUTHENTICATE command whose mechanism
// (upper-case, e.g. "XOAUTH2") the server has read: it merges the
// CommandHook actions and then the AuthHook ones. The server calls it
// instead of OnCommand for AUTHENTICATE.
func (o Observed) OnAuthenticate(c ConnInfo, cmd Command, mechanism string) Action {
	return Merge(o.OnCommand(c, cmd),
		collect(o, "command", c, func(h AuthHook) Action { return h.OnAuthenticate(c, mechanism) }))
}

// TLSConfig returns the TLS configuration to offer one connection, or good
// itself when no TLSHook fault fires. TLSHook faults apply in order, each
// to the previous one's result, so "cert:expired" and "cert:tls1.0"
// compose. The server calls it once per handshake: a fault scoped with nth
// or times counts handshakes.
func (o Observed) TLSConfig(good *tls.Config, ca *certs.Authority) (*tls.Config, error) {
	cfg := good
	for _, f := range o.Set {
		h, ok := f.(TLSHook)
		if !ok || !f.Scope().Fire("") {
			continue
		}
		next, err := h.TLSConfig(cfg, ca)
		if err != nil {
			return nil, err
		}
		if next != cfg {
			o.fired("tls", f)
		}
		cfg = next
	}
	return cfg, nil
}

// advertiser is implemented by a fault that changes every capability list
// outside its Scope: caps:refuse advertises the mechanism it refuses, and
// its Scope counts the refusals.
type advertiser interface {
	advertise(caps []string) []string
}

// Capabilities passes caps through every CapabilityHook in order.
func (o Observed) Capabilities(c ConnInfo, caps []string) []string {
	for _, f := range o.Set {
		if a, ok := f.(advertiser); ok {
			if next := a.advertise(slices.Clone(caps)); !slices.Equal(next, caps) {
				o.fired("capabilities", f)
				caps = next
			}
		}
		if h, ok := f.(CapabilityHook); ok {
			if next := h.Capabilities(c, slices.Clone(caps)); !slices.Equal(next, caps) && o.fires("capabilities", f, c.User) {
				caps = next
			}
		}
	}
	return caps
}

// WrapWriter wraps w with every WriterHook in order (the first fault's
// writer is innermost). The server calls it once per connection, over a
// writer that stays valid across STARTTLS, so byte counts and scope counts
// are per connection.
func (o Observed) WrapWriter(c ConnInfo, w io.Writer, closer func(CloseMode)) io.Writer {
	for _, f := range o.Set {
		if h, ok := f.(WriterHook); ok {
			if next := h.WrapWriter(c, w, closer); next != w && o.fires("writer", f, c.User) {
				w = next
			}
		}
	}
	return w
}

// The Set methods are Observed's without an observer.

// OnAccept merges the AcceptHook actions for a fresh connection.
func (s Set) OnAccept(c ConnInfo) Action { return Observed{Set: s}.OnAccept(c) }

// BeforeHandshake merges the HandshakeHook actions before a TLS handshake.
func (s Set) BeforeHandshake(c ConnInfo) Action { return Observed{Set: s}.BeforeHandshake(c) }

// OnGreeting merges the GreetingHook actions.
func (s Set) OnGreeting(c ConnInfo) Action { return Observed{Set: s}.OnGreeting(c) }

// OnCommand merges the CommandHook actions for a command.
func (s Set) OnCommand(c ConnInfo, cmd Command) Action { return Observed{Set: s}.OnCommand(c, cmd) }

// OnAuthenticate: see Observed.OnAuthenticate.
func (s Set) OnAuthenticate(c ConnInfo, cmd Command, mechanism string) Action {
	return Observed{Set: s}.OnAuthenticate(c, cmd, mechanism)
}

// TLSConfig: see Observed.TLSConfig.
func (s Set) TLSConfig(good *tls.Config, ca *certs.Authority) (*tls.Config, error) {
	return Observed{Set: s}.TLSConfig(good, ca)
}

// Capabilities passes caps through every CapabilityHook in order.
func (s Set) Capabilities(c ConnInfo, caps []string) []string {
	return Observed{Set: s}.Capabilities(c, caps)
}

// WrapWriter: see Observed.WrapWriter.
func (s Set) WrapWriter(c ConnInfo, w io.Writer, closer func(CloseMode)) io.Writer {
	return Observed{Set: s}.WrapWriter(c, w, closer)
}

// Specs returns the text spec of every fault, in order.
func (s Set) Specs() []string {
	out := make([]string, len(s))
	for i, f := range s {
		out[i] = f.Spec()
	}
	return out
}
