package fakeserver

import (
	"regexp"
	"sync"
)

// The Cyrus persona: Cyrus IMAP 3.6 as Debian 12 ships it, set up as
// integration/realservers does, from bytes captured off a real one
// (testdata/cyrus_wire.txt).

// CyrusServerName is the server name the Cyrus persona greets with; the
// capture of a real Cyrus has its own replaced by it.
const CyrusServerName = "imapprobe-cyrus"

var cyrusNormalRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`SESSIONID=<[^>]*>|\(\d+\.\d+ secs\)`)
})

// NormalizeCyrus replaces what differs between Cyrus sessions in a line:
// the session ID ("SESSIONID=<S>") and command timings ("(T secs)").
func NormalizeCyrus(line string) string {
	return cyrusNormalRE().ReplaceAllStringFunc(line, func(m string) string {
		if m[0] == '(' {
			return "(T secs)"
		}
		return "SESSIONID=<S>"
	})
}
