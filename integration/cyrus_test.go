package integration

import (
	"context"
	"testing"
	"time"

	"github.com/imapprobe/imapprobe/integration/realservers"
)

// cyrusBasics are the shared situations the Cyrus launcher supports so far:
// one server, the valid certificate, password logins.
var cyrusBasics = []string{"healthy/starttls", "healthy/implicit", "wrong-password", "unknown-mailbox", "acl-denied-mailbox"}

// TestCyrusSituations probes a Cyrus IMAP 3.6 and asserts the same exact
// codes as on Dovecot, though Cyrus words its refusals differently
// ("authentication failure", "Mailbox does not exist", "Permission denied").
func TestCyrusSituations(t *testing.T) {
	t.Parallel()
	l, err := realservers.NewCyrus()
	realservers.Need(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	inst, err := l.Start(ctx, realservers.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := inst.Stop(); err != nil {
			t.Errorf("stop Cyrus: %v", err)
		}
	})
	byName := map[string]situation{}
	for _, sit := range situations() {
		byName[sit.name] = sit
	}
	for _, name := range cyrusBasics {
		sit, ok := byName[name]
		if !ok {
			t.Fatalf("no situation %q", name)
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sit.check(t, sit.probe(t, cyrusServer{dovecotServer{inst}}))
		})
	}
}

// cyrusServer is a Cyrus instance as a situation's server; it cannot hold
// a login, so killWhenHeld fails the test.
type cyrusServer struct{ dovecotServer }

func (cyrusServer) killWhenHeld(t *testing.T, _ string) {
	t.Error("the Cyrus launcher cannot hold a login")
}
