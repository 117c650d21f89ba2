package integration

import (
	"encoding/base64"
	"regexp"
	"strings"
	"testing"

	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/integration/realservers"
)

// cyrusWireGolden holds Cyrus's real bytes, which the fake's cyrus persona
// is checked against (fakeserver/persona_cyrus_test.go).
const cyrusWireGolden = "../fakeserver/testdata/cyrus_wire.txt"

// TestCyrusWireBytes records what Cyrus 3.6 says to a fixed client script
// (greetings, capabilities before and after login, its error texts) and
// compares it with the golden file; -update rewrites it. The instance's
// server name becomes fakeserver.CyrusServerName and session IDs are
// normalised (fakeserver.NormalizeCyrus); client secrets show as
// placeholders.
func TestCyrusWireBytes(t *testing.T) {
	t.Parallel()
	l, err := realservers.NewCyrus()
	realservers.Need(t, err)
	var main, notls server
	for name, setup := range cyrusOnlySetups {
		switch name {
		case "":
			main = startCyrusWith(t, l, setup.cfg(), setup.opts)
		case "notls":
			notls = startCyrusWith(t, l, setup.cfg(), setup.opts)
		}
	}
	if t.Failed() {
		return
	}
	got := "# Cyrus " + main.(cyrusServer).Version + "\n" +
		normalizeCyrusCapture(captureSessions(t, main, cyrusWireSessions())) +
		normalizeCyrusCapture(captureSessions(t, notls, cyrusNoTLSSessions()))
	// The client's secrets went out as placeholders only.
	for _, secret := range []string{realservers.DefaultPassword, wrongSecret, deniedPassword, noInboxPassword,
		saslPlain(realservers.DefaultUser, realservers.DefaultPassword), xoauth2(realservers.DefaultUser, wrongSecret)} {
		if strings.Contains(got, secret) {
			t.Fatalf("the capture holds a secret the client sent (%d bytes)", len(secret))
		}
	}
	checkGolden(t, cyrusWireGolden, got)
}

// cyrusServerNameRE finds the server name in Cyrus's greeting; the
// launcher makes one per instance.
var cyrusServerNameRE = regexp.MustCompile(`\] (imapprobe-\S+) Cyrus IMAP `)

func normalizeCyrusCapture(rec string) string {
	if m := cyrusServerNameRE.FindStringSubmatch(rec); m != nil {
		rec = strings.ReplaceAll(rec, m[1], fakeserver.CyrusServerName)
	}
	lines := strings.Split(rec, "\n")
	for i, l := range lines {
		lines[i] = fakeserver.NormalizeCyrus(l)
	}
	return strings.Join(lines, "\n")
}

func saslPlain(user, password string) string {
	return base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + password))
}

func cyrusWireSessions() []wireSession {
	user, pw := realservers.DefaultUser, realservers.DefaultPassword
	return []wireSession{
		{heading: "plain port, STARTTLS, login, mailbox errors", steps: []wireStep{
			{line: "a CAPABILITY"},
			{line: "b LOGIN " + user + " " + pw, shown: "b LOGIN " + user + " <password>"},
			{line: "c STARTTLS", startTLS: true},
			{line: "d CAPABILITY"},
			{line: "e LOGIN " + user + " " + wrongSecret, shown: "e LOGIN " + user + " <wrong password>"},
			{line: "f LOGIN " + user + " " + pw, shown: "f LOGIN " + user + " <password>"},
			{line: "g CAPABILITY"},
			{line: "h SELECT Nonexistent"},
			{line: "i SELECT " + realservers.DeniedMailbox},
			{line: "j FOO"},
			{line: "k NOOP"},
			{line: "l LOGOUT"},
		}},
		{heading: "implicit TLS port", tls: true, steps: []wireStep{
			{line: "a CAPABILITY"},
			{line: "b AUTHENTICATE XOAUTH2 " + xoauth2(user, wrongSecret), shown: "b AUTHENTICATE XOAUTH2 <bad token>"},
			{line: "c AUTHENTICATE PLAIN " + saslPlain(user, wrongSecret), shown: "c AUTHENTICATE PLAIN <wrong password>"},
			{line: "d SELECT INBOX"},
			{line: "e NOOP"},
			{line: "f AUTHENTICATE PLAIN " + saslPlain(user, pw), shown: "f AUTHENTICATE PLAIN <password>"},
			{line: "g CAPABILITY"},
			{line: "h LOGOUT"},
		}},
		refusalsSession(),
		// SELECT's and FETCH's flags in Cyrus's order, and STORE and
		// EXPUNGE in a mailbox opened with EXAMINE, which change nothing.
		{heading: "select, examine and store", tls: true, steps: []wireStep{
			{line: "a LOGIN " + user + " " + pw, shown: "a LOGIN " + user + " <password>"},
			{line: "b SELECT INBOX"},
			{line: "c EXAMINE INBOX"},
			{line: `d STORE 1 +FLAGS (\Flagged)`},
			{line: `e UID STORE 1 +FLAGS (\Flagged)`},
			{line: "f EXPUNGE"},
			{line: "g UID EXPUNGE 1:3"},
			{line: "h FETCH 1 (FLAGS)"},
			// FETCH's order of the system flags.
			{line: "i SELECT INBOX"},
			{line: `j STORE 2 +FLAGS (\Seen \Deleted \Draft \Flagged \Answered)`},
			{line: "k FETCH 2 (FLAGS)"},
			{line: "l LOGOUT"},
		}},
		{heading: "denied account, account without INBOX", tls: true, steps: []wireStep{
			{line: "a LOGIN " + deniedUser + " " + deniedPassword, shown: "a LOGIN " + deniedUser + " <password>"},
			{line: "b LOGIN " + noInboxUser + " " + noInboxPassword, shown: "b LOGIN " + noInboxUser + " <password>"},
			{line: "c SELECT INBOX"},
			{line: "d LOGOUT"},
		}},
	}
}

func cyrusNoTLSSessions() []wireSession {
	return []wireSession{
		{heading: "no TLS configured", steps: []wireStep{
			{line: "a CAPABILITY"},
			{line: "b STARTTLS"},
			{line: "c LOGOUT"},
		}},
	}
}
