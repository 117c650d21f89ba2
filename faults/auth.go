package faults

// AuthHook acts on an AUTHENTICATE command once its mechanism is known.
// It extends the contract in fault.go: Command carries no arguments, and a
// fault such as "advertise AUTH=XOAUTH2, then refuse it" needs the
// mechanism. Only the mechanism name is passed, never a SASL payload, so
// no secret reaches a fault. The server calls Set.OnAuthenticate.
type AuthHook interface {
	OnAuthenticate(c ConnInfo, mechanism string) Action
}
