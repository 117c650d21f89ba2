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

// TestPersonaDovecotFlags replays the capture's flags connection against
// the fake with the Dovecot persona: after every command, the flag lines
// (flagLines) are Dovecot's, byte for byte and in order: SELECT's and
// EXAMINE's FLAGS and PERMANENTFLAGS with their texts, the FLAGS and
// PERMANENTFLAGS a STORE announces when it creates a keyword, and each
// FETCH's FLAGS, system flags canonical and keywords as first written.
func TestPersonaDovecotFlags(t *testing.T) {
	t.Parallel()
	var sec *wireSection
	for _, s := range readWireCapture(t) {
		if s.heading == flagsSection {
			sec = &s
		}
	}
	if sec == nil {
		t.Fatalf("%s has no section %q", dovecotWire, flagsSection)
	}
	srv := fakeserver.New(t, fakeserver.WithPersona(fakeserver.PersonaDovecot), fakeserver.WithUser(wireUser, wirePassword))
	w := dialWire(t, srv, true, "")
	w.line() // greeting
	compared := 0
	for _, st := range sec.steps {
		cmd := substitutePlaceholders(st.client)
		w.send(cmd)
		tag, _, _ := strings.Cut(cmd, " ")
		var got []string
		for {
			l := w.line()
			got = append(got, l)
			if strings.HasPrefix(l, tag+" ") {
				break
			}
		}
		want, gotFlags := flagLines(st.server), flagLines(got)
		compared += len(want)
		if strings.Join(gotFlags, "\n") != strings.Join(want, "\n") {
			t.Errorf("after %q, flag lines differ from Dovecot's\n got: %q\nwant: %q\nfake's reply: %q", st.client, gotFlags, want, got)
		}
	}
	// 5 SELECT/EXAMINE x 2 lines, 2 STOREs x 2 announced, 13 FETCH lines.
	if compared != 27 {
		t.Errorf("compared %d flag lines, want 27 (has the capture changed?)", compared)
	}
}
