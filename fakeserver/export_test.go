package fakeserver

// Names the fakeserver_test tests need and users do not: the fixed bytes
// a test compares the wire against.
const (
	// EndlessStart begins the line an Endless action writes.
	EndlessStart = endlessStart
	// DovecotTiming is the Dovecot persona's fixed command timing.
	DovecotTiming = dovecotTiming
)

// DovecotPostLoginMissing are the capabilities of Dovecot's post-login
// list that the Dovecot persona leaves out.
var DovecotPostLoginMissing = dovecotPostLoginMissing
