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
//
// The result never shares Raw's backing array with a or b.
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

// collect merges the actions of every fault in s that implements hook H.
func collect[H any](s Set, act func(H) Action) Action {
	var out Action
	for _, f := range s {
		if h, ok := f.(H); ok {
			out = Merge(out, act(h))
		}
	}
	return out
}

// OnAccept merges the AcceptHook actions for a fresh connection.
func (s Set) OnAccept(c ConnInfo) Action {
	return collect(s, func(h AcceptHook) Action { return h.OnAccept(c) })
}

// BeforeHandshake merges the HandshakeHook actions before a TLS handshake.
func (s Set) BeforeHandshake(c ConnInfo) Action {
	return collect(s, func(h HandshakeHook) Action { return h.BeforeHandshake(c) })
}

// OnGreeting merges the GreetingHook actions.
func (s Set) OnGreeting(c ConnInfo) Action {
	return collect(s, func(h GreetingHook) Action { return h.OnGreeting(c) })
}

// OnCommand merges the CommandHook actions for a command.
func (s Set) OnCommand(c ConnInfo, cmd Command) Action {
	return collect(s, func(h CommandHook) Action { return h.OnCommand(c, cmd) })
}

// OnAuthenticate is OnCommand for an AUTHENTICATE command whose mechanism
// (upper-case, e.g. "XOAUTH2") the server has read: it merges the
// CommandHook actions and then the AuthHook ones. The server calls it
// instead of OnCommand for AUTHENTICATE.
func (s Set) OnAuthenticate(c ConnInfo, cmd Command, mechanism string) Action {
	return Merge(s.OnCommand(c, cmd),
		collect(s, func(h AuthHook) Action { return h.OnAuthenticate(c, mechanism) }))
}

// TLSConfig returns the TLS configuration to offer one connection, or good
// itself when no TLSHook fault fires. TLSHook faults apply in order, each
// to the previous one's result, so "cert:expired" and "cert:tls1.0"
// compose. The server calls it once per handshake: a fault scoped with nth
// or times counts handshakes.
func (s Set) TLSConfig(good *tls.Config, ca *certs.Authority) (*tls.Config, error) {
	cfg := good
	for _, f := range s {
		h, ok := f.(TLSHook)
		if !ok {
			continue
		}
		var err error
		if cfg, err = h.TLSConfig(cfg, ca); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

// Capabilities passes caps through every CapabilityHook in order.
func (s Set) Capabilities(c ConnInfo, caps []string) []string {
	for _, f := range s {
		if h, ok := f.(CapabilityHook); ok {
			caps = h.Capabilities(c, caps)
		}
	}
	return caps
}

// WrapWriter wraps w with every WriterHook in order (the first fault's
// writer is innermost). The server calls it once per connection, over a
// writer that stays valid across STARTTLS, so byte counts and scope counts
// are per connection.
func (s Set) WrapWriter(c ConnInfo, w io.Writer, closer func(CloseMode)) io.Writer {
	for _, f := range s {
		if h, ok := f.(WriterHook); ok {
			w = h.WrapWriter(c, w, closer)
		}
	}
	return w
}

// Specs returns the text spec of every fault, in order.
func (s Set) Specs() []string {
	out := make([]string, len(s))
	for i, f := range s {
		out[i] = f.Spec()
	}
	return out
}
