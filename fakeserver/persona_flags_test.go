package fakeserver_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/imapprobe/imapprobe/fakeserver"
)

// flagsSection is the capture's connection that selects, stores and
// fetches flags.
const flagsSection = "select, store and fetch flags"

// fetchFlagsRE finds the sequence number and FLAGS item of a FETCH line.
var fetchFlagsRE = regexp.MustCompile(`^\* (\d+) FETCH \(.*?\bFLAGS (\([^)]*\))`)

// flagLines keeps, in order, the lines of a reply that carry flags: "*
// FLAGS", "* OK [PERMANENTFLAGS ...] text" byte for byte, and each FETCH
// as "* N FETCH (FLAGS (...))". The rest of the reply is not the
// persona's claim: the fake sends SELECT's responses in go-imap's order,
// no \Recent, and a UID in every FETCH (imapmemserver always writes it).
func flagLines(lines []string) []string {
	var out []string
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "* FLAGS "), strings.HasPrefix(l, "* OK [PERMANENTFLAGS "):
			out = append(out, l)
		case strings.Contains(l, " FETCH "):
			if m := fetchFlagsRE.FindStringSubmatch(l); m != nil {
				out = append(out, "* "+m[1]+" FETCH (FLAGS "+m[2]+")")
			} else {
				out = append(out, l)
			}
		}
	}
	return out
}

// cyrusFlagsSection is the Cyrus capture's connection that selects,
// stores and fetches flags.
const cyrusFlagsSection = "select, examine and store"

// TestPersonaFlags replays each capture's flags connection against the
// fake with its persona: after every command, the flag lines (flagLines)
// are the server's, byte for byte and in order: SELECT's and EXAMINE's
// FLAGS and PERMANENTFLAGS with their texts, the FLAGS and PERMANENTFLAGS
// a Dovecot STORE announces when it creates a keyword, and each FETCH's
// FLAGS, system flags canonical and in the server's order (Cyrus's
// differs from Dovecot's), keywords as first written. A STORE after
// EXAMINE changes nothing (the FETCH after it shows the flags before).
func TestPersonaFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		persona  fakeserver.Persona
		capture  string
		section  string
		compared int
	}{
		// 5 SELECT/EXAMINE x 2 lines, 2 STOREs x 2 announced, 14 FETCH lines.
		{fakeserver.PersonaDovecot, dovecotWire, flagsSection, 28},
		// 3 SELECT/EXAMINE x 2 lines, 3 FETCH lines.
		{fakeserver.PersonaCyrus, cyrusWire, cyrusFlagsSection, 9},
	} {
		t.Run(tc.persona.String(), func(t *testing.T) {
			t.Parallel()
			sec := captureSection(t, tc.capture, tc.section)
			srv := fakeserver.New(t, fakeserver.WithPersona(tc.persona), fakeserver.WithUser(wireUser, wirePassword))
			w := dialWire(t, srv, true, "")
			w.line() // greeting
			compared := 0
			for _, st := range sec.steps {
				cmd := substitutePlaceholders(st.client)
				got := w.command(cmd)
				want, gotFlags := flagLines(st.server), flagLines(got)
				compared += len(want)
				if strings.Join(gotFlags, "\n") != strings.Join(want, "\n") {
					t.Errorf("after %q, flag lines differ from the server's\n got: %q\nwant: %q\nfake's reply: %q", st.client, gotFlags, want, got)
				}
			}
			if compared != tc.compared {
				t.Errorf("compared %d flag lines, want %d (has the capture changed?)", compared, tc.compared)
			}
		})
	}
}

// captureSection is the section of the capture at path with the heading.
func captureSection(t *testing.T, path, heading string) wireSection {
	t.Helper()
	for _, s := range readCapture(t, path) {
		if s.heading == heading {
			return s
		}
	}
	t.Fatalf("%s has no section %q", path, heading)
	return wireSection{}
}
