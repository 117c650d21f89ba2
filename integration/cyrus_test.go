package integration

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/imapprobe/imapprobe/integration/realservers"
)

// The Cyrus column and the Cyrus persona's in the fidelity table
// (TestDovecotSituations).
const (
	cyrusColumn        = "cyrus"
	cyrusPersonaColumn = "fake (cyrus persona)"
)

// cyrusCannot are the shared situations Cyrus cannot produce, and why; on
// Cyrus, and on the fake with the Cyrus persona, which offers what Cyrus
// offers, each must fail with auth.mechanism_unsupported instead.
var cyrusCannot = map[string]string{
	"xoauth2/good-token":     "Debian's Cyrus 3.6 has no XOAUTH2 SASL mechanism",
	"oauthbearer/good-token": "Debian's Cyrus 3.6 has no OAUTHBEARER SASL mechanism",
	"xoauth2/bad-token":      "Debian's Cyrus 3.6 has no XOAUTH2 SASL mechanism",
	"oauthbearer/bad-token":  "Debian's Cyrus 3.6 has no OAUTHBEARER SASL mechanism",
}

// cyrusNA marks the situations the Cyrus columns cannot produce, for the
// fidelity table.
func cyrusNA() map[string]map[string]string {
	na := map[string]map[string]string{cyrusColumn: {}, cyrusPersonaColumn: {}}
	for name := range cyrusCannot {
		na[cyrusColumn][name] = "no OAuth SASL in Debian Cyrus"
		na[cyrusPersonaColumn][name] = "no OAuth SASL, as Cyrus"
	}
	return na
}

// cyrusSituations are the shared situations, with the outcome Cyrus must
// give for those it cannot produce.
func cyrusSituations() []situation {
	var sits []situation
	for _, sit := range situations() {
		if _, ok := cyrusCannot[sit.name]; ok {
			sit.step, sit.code = "auth", "auth.mechanism_unsupported"
		}
		sits = append(sits, sit)
	}
	return sits
}

// runCyrusSituations runs every shared situation against Cyrus IMAP 3.6
// and asserts the same exact codes as on Dovecot, though Cyrus words its
// refusals differently ("authentication failure", "Mailbox does not
// exist", "Permission denied"); the OAuth ones, which Cyrus cannot
// produce, must be diagnosed as an unoffered mechanism. Without Cyrus it
// skips, or under CI=true fails.
func runCyrusSituations(t *testing.T) map[string]string {
	l, err := realservers.NewCyrus()
	realservers.Need(t, err)
	names := map[string]bool{}
	for _, sit := range situations() {
		names[sit.name] = true
	}
	for name := range cyrusCannot {
		if !names[name] {
			t.Fatalf("cyrusCannot names %q, which is no situation", name)
		}
	}
	return runThese(t, cyrusSituations(), cyrusStarter(l), true)
}

func cyrusStarter(l *realservers.Cyrus) startServer {
	return func(t *testing.T, sit situation) server {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		inst, err := l.Start(ctx, realservers.Config{Cert: sit.cert})
		if err != nil {
			t.Fatalf("start Cyrus (%v): %v", sit.cert, err)
		}
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("Cyrus log (cert %v):\n%s", sit.cert, inst.Log())
			}
			if err := inst.Stop(); err != nil {
				t.Errorf("stop Cyrus: %v", err)
			}
		})
		return cyrusServer{dovecotServer{inst}}
	}
}

// cyrusServer is a Cyrus instance as a situation's server.
type cyrusServer struct{ dovecotServer }

// killWhenHeld kills Cyrus in the failed-login pause of user's login (see
// realservers.Cyrus), so the client waits in its auth step.
func (c cyrusServer) killWhenHeld(t *testing.T, user string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.WaitLog(ctx, realservers.CyrusHoldMarker); err != nil {
		t.Errorf("login not held: %v", err)
	}
	if log := c.Log(); !strings.Contains(log, "("+user+")") {
		t.Errorf("the failed login is not %s's:\n%s", user, log)
	}
	if err := c.Kill(); err != nil {
		t.Errorf("kill Cyrus: %v", err)
	}
}

// TestFidelityRows: a cell that differs makes its row a mismatch, unless
// it is marked n/a or its suite did not run.
func TestFidelityRows(t *testing.T) {
	t.Parallel()
	sits := []situation{{name: "a"}, {name: "b"}, {name: "c"}}
	outcomes := map[string]map[string]string{
		"dovecot": {"a": "ok", "b": "auth.failed", "c": "ok"},
		"cyrus":   {"a": "ok", "b": "auth.mechanism_unsupported", "c": "auth.failed"},
		"fake":    {"a": "ok", "b": "auth.failed"},
	}
	na := map[string]map[string]string{"cyrus": {"b": "no OAuth"}}
	rows, mismatches := fidelityRows(sits, []string{"dovecot", "cyrus", "fake"}, outcomes, na)
	want := [][]string{
		{"situation", "dovecot", "cyrus", "fake", "match"},
		{"a", "ok", "ok", "ok", "yes"},
		{"b", "auth.failed", "n/a: no OAuth", "auth.failed", "yes"},
		{"c", "ok", "auth.failed", "-", "NO"},
	}
	if fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Errorf("rows\n got %q\nwant %q", rows, want)
	}
	if len(mismatches) != 1 || mismatches[0] != "c: dovecot gives ok, cyrus auth.failed" {
		t.Errorf("mismatches %q", mismatches)
	}
}
