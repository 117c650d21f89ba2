package fakeserver_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/faults"
)

// refusalsSection is the connection of each capture that records the
// server's refusals of an unknown mechanism and unknown commands.
const refusalsSection = "refusals"

// capturedReply names a tagged reply in a capture: the reply to the
// client line of a section, or, where no capture has it, the text itself.
type capturedReply struct {
	section, client string
	text            string // after the tag, when section is ""
}

// TestPersonaRefusals: what the fake refuses because a caps fault took it
// away (capsrefuse.go), and STORE in a mailbox opened with EXAMINE, are
// answered in the persona's server's words, byte for byte as the capture
// of that server has them (the default persona: faults.No*Reply and
// imapserver's texts). The real servers were sent what they really lack
// (an unknown mechanism, an unknown command); the fake, with the fault,
// what the fault took away.
func TestPersonaRefusals(t *testing.T) {
	t.Parallel()
	loggedIn := []string{"l LOGIN " + wireUser + " " + wirePassword, "c CAPABILITY"}
	examined := append(slices.Clone(loggedIn), "e EXAMINE INBOX")
	dovecotLogin := capturedReply{section: "plain port from 127.0.0.2 (not secured)", client: "a LOGIN alice <password>"}
	cyrusLogin := capturedReply{section: "plain port, STARTTLS, login, mailbox errors", client: "b LOGIN alice <password>"}
	tests := []struct {
		name     string
		spec     string   // the fault
		plain    bool     // the STARTTLS port, else implicit TLS
		before   []string // sent after CAPABILITY
		cmd      string   // after "x "
		unknown  string   // the capture's reply names the command XYZZY, the fake's this one
		personas map[fakeserver.Persona]capturedReply
	}{
		{name: "mechanism not offered", spec: "caps:-AUTH=PLAIN", cmd: "AUTHENTICATE PLAIN",
			personas: map[fakeserver.Persona]capturedReply{
				fakeserver.PersonaGoImap:  {text: faults.NoMechanismReply},
				fakeserver.PersonaDovecot: {section: refusalsSection, client: "a AUTHENTICATE XFOO"},
				fakeserver.PersonaCyrus:   {section: refusalsSection, client: "a AUTHENTICATE XFOO"},
			}},
		{name: "mechanism not offered, initial response", spec: "caps:-AUTH=PLAIN",
			cmd: "AUTHENTICATE PLAIN " + b64("\x00"+wireUser+"\x00"+wirePassword),
			personas: map[fakeserver.Persona]capturedReply{
				fakeserver.PersonaGoImap:  {text: faults.NoMechanismReply},
				fakeserver.PersonaDovecot: {section: refusalsSection, client: "b AUTHENTICATE XFOO AAAA"},
				fakeserver.PersonaCyrus:   {section: refusalsSection, client: "b AUTHENTICATE XFOO AAAA"},
			}},
		{name: "mechanism refused (caps:refuse)", spec: "caps:refuse=AUTH=PLAIN", cmd: "AUTHENTICATE PLAIN",
			personas: map[fakeserver.Persona]capturedReply{
				fakeserver.PersonaGoImap:  {text: faults.RefuseReply},
				fakeserver.PersonaDovecot: {section: refusalsSection, client: "a AUTHENTICATE XFOO"},
				fakeserver.PersonaCyrus:   {section: refusalsSection, client: "a AUTHENTICATE XFOO"},
			}},
		{name: "command not offered, before login", spec: "caps:-ID", cmd: "ID NIL",
			personas: map[fakeserver.Persona]capturedReply{
				fakeserver.PersonaGoImap:  {text: faults.NoCommandReply},
				fakeserver.PersonaDovecot: {section: refusalsSection, client: "c XYZZY"},
				fakeserver.PersonaCyrus:   {section: refusalsSection, client: "c XYZZY"},
			}},
		{name: "command not offered, after login", spec: "caps:-UNSELECT", before: loggedIn, cmd: "UNSELECT", unknown: "UNSELECT",
			personas: map[fakeserver.Persona]capturedReply{
				fakeserver.PersonaGoImap:  {text: "BAD Error in IMAP command UNSELECT: Unknown command (0.001 + 0.000 secs)."},
				fakeserver.PersonaDovecot: {section: refusalsSection, client: "e XYZZY"},
				fakeserver.PersonaCyrus:   {section: refusalsSection, client: "e XYZZY"},
			}},
		// Not a refusal: what the backend does not know, which the Cyrus
		// persona words as Cyrus (the Dovecot one does not yet).
		{name: "unknown command, before login", cmd: "XYZZY",
			personas: map[fakeserver.Persona]capturedReply{
				fakeserver.PersonaGoImap: {text: "BAD Unknown command"},
				fakeserver.PersonaCyrus:  {section: refusalsSection, client: "c XYZZY"},
			}},
		{name: "unknown command, after login", before: loggedIn, cmd: "XYZZY",
			personas: map[fakeserver.Persona]capturedReply{
				fakeserver.PersonaGoImap: {text: "BAD Unknown command"},
				fakeserver.PersonaCyrus:  {section: refusalsSection, client: "e XYZZY"},
			}},
		{name: "LOGINDISABLED", spec: "caps:+LOGINDISABLED", cmd: "LOGIN " + wireUser + " " + wirePassword,
			personas: map[fakeserver.Persona]capturedReply{
				fakeserver.PersonaGoImap:  {text: faults.LoginDisabledReply},
				fakeserver.PersonaDovecot: dovecotLogin,
				fakeserver.PersonaCyrus:   cyrusLogin,
			}},
		// A Dovecot without TLS is not among the capture's set-ups.
		{name: "STARTTLS not offered", spec: "caps:-STARTTLS", plain: true, cmd: "STARTTLS",
			personas: map[fakeserver.Persona]capturedReply{
				fakeserver.PersonaGoImap:  {text: faults.NoStartTLSReply},
				fakeserver.PersonaDovecot: {text: "BAD TLS support isn't enabled."},
				fakeserver.PersonaCyrus:   {section: "no TLS configured", client: "b STARTTLS"},
			}},
		{name: "STORE after EXAMINE", before: examined, cmd: `STORE 1 +FLAGS (\Flagged)`,
			personas: map[fakeserver.Persona]capturedReply{
				fakeserver.PersonaGoImap:  {text: "OK STORE completed"},
				fakeserver.PersonaDovecot: {section: flagsSection, client: `o STORE 1 +FLAGS (\Flagged)`},
				fakeserver.PersonaCyrus:   {section: cyrusFlagsSection, client: `d STORE 1 +FLAGS (\Flagged)`},
			}},
		{name: "UID STORE after EXAMINE", before: examined, cmd: `UID STORE 1 +FLAGS (\Flagged)`,
			personas: map[fakeserver.Persona]capturedReply{
				fakeserver.PersonaGoImap:  {text: "OK UID STORE completed"},
				fakeserver.PersonaDovecot: {section: flagsSection, client: `p UID STORE 1 +FLAGS (\Flagged)`},
				fakeserver.PersonaCyrus:   {section: cyrusFlagsSection, client: `e UID STORE 1 +FLAGS (\Flagged)`},
			}},
		{name: "EXPUNGE after EXAMINE", before: examined, cmd: "EXPUNGE",
			personas: map[fakeserver.Persona]capturedReply{
				fakeserver.PersonaGoImap:  {text: "OK EXPUNGE completed"},
				fakeserver.PersonaDovecot: {section: flagsSection, client: "q EXPUNGE"},
				fakeserver.PersonaCyrus:   {section: cyrusFlagsSection, client: "f EXPUNGE"},
			}},
		{name: "UID EXPUNGE after EXAMINE", before: examined, cmd: "UID EXPUNGE 1:3",
			personas: map[fakeserver.Persona]capturedReply{
				fakeserver.PersonaGoImap:  {text: "OK UID EXPUNGE completed"},
				fakeserver.PersonaDovecot: {section: flagsSection, client: "r UID EXPUNGE 1:3"},
				fakeserver.PersonaCyrus:   {section: cyrusFlagsSection, client: "g UID EXPUNGE 1:3"},
			}},
		// SELECT after EXAMINE makes the mailbox writable again.
		{name: "STORE after EXAMINE, SELECT", before: append(slices.Clone(examined), "s SELECT INBOX"),
			cmd: `STORE 2 +FLAGS (\Seen \Deleted \Draft \Flagged \Answered)`,
			personas: map[fakeserver.Persona]capturedReply{
				fakeserver.PersonaGoImap:  {text: "OK STORE completed"},
				fakeserver.PersonaDovecot: {text: "OK Store completed (0.001 + 0.000 secs)."},
				fakeserver.PersonaCyrus:   {section: cyrusFlagsSection, client: `j STORE 2 +FLAGS (\Seen \Deleted \Draft \Flagged \Answered)`},
			}},
		{name: "CLOSE after EXAMINE", before: examined, cmd: "CLOSE",
			personas: map[fakeserver.Persona]capturedReply{
				fakeserver.PersonaGoImap:  {text: "OK CLOSE completed"},
				fakeserver.PersonaDovecot: {text: "OK Close completed (0.001 + 0.000 secs)."},
				fakeserver.PersonaCyrus:   {text: "OK Completed"},
			}},
	}
	captures := map[fakeserver.Persona]string{fakeserver.PersonaDovecot: dovecotWire, fakeserver.PersonaCyrus: cyrusWire}
	for _, tt := range tests {
		for persona, src := range tt.personas {
			t.Run(tt.name+"/"+persona.String(), func(t *testing.T) {
				t.Parallel()
				want := src.text
				if src.section != "" {
					want = capturedTagged(t, captures[persona], src.section, src.client)
				}
				if tt.unknown != "" {
					want = strings.Replace(want, "XYZZY", tt.unknown, 1)
				}
				got := personaReply(t, persona, tt.spec, tt.plain, tt.before, "x "+tt.cmd)
				norm := func(s string) string { return fakeserver.NormalizeCyrus(fakeserver.NormalizeTimings(s)) }
				if norm(got) != norm(want) {
					t.Errorf("x %s\n got: %q\nwant: %q", tt.cmd, got, want)
				}
			})
		}
	}
}

// capturedTagged is the tagged reply, after its tag, to the client line of
// a section of the capture at path.
func capturedTagged(t *testing.T, path, section, client string) string {
	t.Helper()
	tag, _, _ := strings.Cut(client, " ")
	for _, st := range captureSection(t, path, section).steps {
		if st.client != client {
			continue
		}
		for _, l := range st.server {
			if rest, ok := strings.CutPrefix(l, tag+" "); ok {
				return rest
			}
		}
	}
	t.Fatalf("%s, section %q: no tagged reply to %q", path, section, client)
	return ""
}

// personaReply sets up a fake with the persona and the fault spec, and
// returns its tagged reply, after the tag, to cmd, sent after CAPABILITY
// (so that the client was told what the fault changed) and the commands
// before.
func personaReply(t *testing.T, persona fakeserver.Persona, spec string, plain bool, before []string, cmd string) string {
	t.Helper()
	opts := []fakeserver.Option{fakeserver.WithPersona(persona), fakeserver.WithUser(wireUser, wirePassword)}
	if spec != "" {
		opts = append(opts, withSpecs(t, spec))
	}
	if plain {
		opts = append(opts, fakeserver.WithMode(fakeserver.ModeStartTLS))
	}
	srv := fakeserver.New(t, opts...)
	w := dialWire(t, srv, !plain, "")
	w.line() // greeting
	w.command("c CAPABILITY")
	for _, b := range before {
		w.command(b)
	}
	lines := w.command(cmd)
	tag, _, _ := strings.Cut(cmd, " ")
	return strings.TrimPrefix(lines[len(lines)-1], tag+" ")
}
