package fakeserver

import (
	"strings"
	"unicode/utf8"

	"github.com/imapprobe/imapprobe/internal/redact"
)

// A command's arguments as a record keeps them: enough to assert on (the
// mailbox a SELECT named, the items a FETCH asked for), never a secret.

// maxRecordedArgs bounds the arguments kept per command.
const maxRecordedArgs = 256

// saslNames are the registered SASL mechanism names a record keeps; any
// other "mechanism" may be a secret the client put there.
var saslNames = map[string]bool{
	"PLAIN": true, "LOGIN": true, "XOAUTH2": true, "OAUTHBEARER": true, "EXTERNAL": true,
	"ANONYMOUS": true, "CRAM-MD5": true, "DIGEST-MD5": true, "SCRAM-SHA-1": true,
	"SCRAM-SHA-1-PLUS": true, "SCRAM-SHA-256": true, "SCRAM-SHA-256-PLUS": true,
	"GSSAPI": true, "GS2-KRB5": true, "NTLM": true,
}

// recordedArgs returns the arguments to record for a known command whose
// first line is line, rest being the text after its name:
//   - LOGIN: redact.Marker alone (the user is in ConnRecord.User);
//   - AUTHENTICATE: a registered mechanism's name, and the marker for an
//     initial response;
//   - any other command: rest as sent, a literal as its {N}
//     announcement (its bytes are not in the line), with every form of
//     a seeded secret, or of one the connection carried, masked, then
//     cut to maxRecordedArgs.
//
// A line that holds a seeded password or token anywhere, even across the
// tag and the name, keeps only the marker.
func (c *conn) recordedArgs(name, rest string, line []byte) string {
	if rest == "" {
		return ""
	}
	if name == "LOGIN" || c.srv.users.holdsSecret(string(line)) {
		return redact.Marker
	}
	if name == "AUTHENTICATE" {
		mech, ir, _ := strings.Cut(rest, " ")
		mech = strings.ToUpper(mech)
		if !saslNames[mech] {
			return redact.Marker
		}
		if ir != "" {
			return mech + " " + redact.Marker
		}
		return mech
	}
	// Mask before cutting: a cut can split a secret.
	args := strings.ToValidUTF8(c.red.Scrub(rest), "\uFFFD")
	if len(args) > maxRecordedArgs {
		cut := maxRecordedArgs
		for cut > 0 && !utf8.RuneStart(args[cut]) {
			cut--
		}
		args = args[:cut] + "..."
	}
	return args
}
