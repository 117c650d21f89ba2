package fakeserver_test

import (
	"strings"
	"testing"

	"github.com/imapprobe/imapprobe/fakeserver"
)

// cyrusWire holds Cyrus 3.6's real bytes, recorded by the integration
// suite (TestCyrusWireBytes).
const cyrusWire = "testdata/cyrus_wire.txt"

// cyrusSetups says how to set up the fake like the Cyrus of each section.
// The fake cannot deny an account or lack an INBOX by itself: faults give
// Cyrus's answers there, and the persona the rest of the session.
var cyrusSetups = map[string]struct {
	tls   bool
	opts  []fakeserver.Option
	specs []string
	// partial: only some lines are compared, by TestPersonaFlags or
	// TestPersonaRefusals.
	partial bool
}{
	"plain port, STARTTLS, login, mailbox errors": {opts: []fakeserver.Option{fakeserver.WithMode(fakeserver.ModeStartTLS)}},
	"implicit TLS port":                           {tls: true},
	"denied account, account without INBOX": {tls: true, specs: []string{
		"reply:LOGIN=NO Login failed: authorization failure;user=denied",
		"reply:SELECT=NO Mailbox does not exist;user=noinbox"}},
	"no TLS configured": {opts: []fakeserver.Option{fakeserver.WithMode(fakeserver.ModePlaintext), fakeserver.WithAllowPlaintextAuth(false)}},
	refusalsSection:     {partial: true},
	cyrusFlagsSection:   {partial: true},
}

// TestPersonaCyrusMatchesCapture replays each connection of Cyrus's
// capture against the fake with the Cyrus persona and compares every
// server line. The one deliberate difference: capability lists leave out
// what the backend does not implement (fakeserver.CyrusCapsMissing).
func TestPersonaCyrusMatchesCapture(t *testing.T) {
	t.Parallel()
	sections := readCapture(t, cyrusWire)
	if len(sections) != len(cyrusSetups) {
		t.Errorf("%s has %d sections, the test sets up %d", cyrusWire, len(sections), len(cyrusSetups))
	}
	for _, sec := range sections {
		setup, ok := cyrusSetups[sec.heading]
		if !ok {
			t.Errorf("no set-up for section %q", sec.heading)
			continue
		}
		if setup.partial {
			continue
		}
		t.Run(sec.heading, func(t *testing.T) {
			t.Parallel()
			opts := append([]fakeserver.Option{
				fakeserver.WithPersona(fakeserver.PersonaCyrus),
				fakeserver.WithUser(wireUser, wirePassword),
				fakeserver.WithUser("denied", wirePassword),
				fakeserver.WithUser("noinbox", wirePassword),
				fakeserver.WithRestrictedMailbox("Restricted"),
				withSpecs(t, setup.specs...),
			}, setup.opts...)
			srv := fakeserver.New(t, opts...)
			replaySection(t, srv, sec, setup.tls, "", cyrusPlaceholders, func(got, want string) {
				t.Helper()
				if got, want = fakeserver.NormalizeCyrus(got), withoutCyrusMissing(want); got != want {
					t.Errorf("server line differs from Cyrus's\n got: %q\nwant: %q", got, want)
				}
			})
		})
	}
}

// cyrusPlaceholders puts real credentials where the capture hides them.
func cyrusPlaceholders(line string) string {
	if tag, ok := strings.CutSuffix(line, " AUTHENTICATE PLAIN <password>"); ok {
		return tag + " AUTHENTICATE PLAIN " + b64("\x00"+wireUser+"\x00"+wirePassword)
	}
	if tag, ok := strings.CutSuffix(line, " AUTHENTICATE PLAIN <wrong password>"); ok {
		return tag + " AUTHENTICATE PLAIN " + b64("\x00"+wireUser+"\x00wrong-"+wirePassword)
	}
	return substitutePlaceholders(line)
}

// withoutCyrusMissing drops, from a line's capability list, what the
// persona does not advertise.
func withoutCyrusMissing(line string) string {
	for _, prefix := range []string{"* CAPABILITY ", "[CAPABILITY "} {
		i := strings.Index(line, prefix)
		if i < 0 {
			continue
		}
		start := i + len(prefix)
		end := strings.IndexByte(line[start:], ']')
		if end < 0 {
			end = len(line) - start
		}
		list := withoutCaps(line[start:start+end], fakeserver.CyrusCapsMissing)
		return line[:start] + list + line[start+end:]
	}
	return line
}
