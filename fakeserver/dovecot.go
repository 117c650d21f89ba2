package fakeserver

import (
	"encoding/base64"
	"regexp"
	"sync"
)

// The Dovecot persona: Dovecot 2.3 as Debian ships it, from bytes
// captured off a real one (integration/testdata).

// dovecotTiming is the fixed "(N.NNN + N.NNN secs)" the Dovecot persona
// puts where Dovecot reports how long a post-login command took.
const dovecotTiming = "(0.001 + 0.000 secs)"

// dovecotTimingsRE and dovecotSpec are built on first use: a plain probe
// links this package for demo but must not pay for its regexps at start-up.
var dovecotTimingsRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`\(\d+\.\d+( \+ \d+\.\d+)+ secs\)`)
})

// NormalizeTimings replaces Dovecot's command timings, such as
// "(0.001 + 0.000 + 0.001 secs)", by "(T secs)", so that recorded Dovecot
// bytes compare across runs.
func NormalizeTimings(line string) string {
	return dovecotTimingsRE().ReplaceAllString(line, "(T secs)")
}

var (
	dovecotPreLogin = []string{"IMAP4rev1", "SASL-IR", "LOGIN-REFERRALS", "ID", "ENABLE", "IDLE", "LITERAL+"}
	// Dovecot 2.3.19's post-login list, in its order, without what the
	// backend lacks: SORT SORT=DISPLAY THREAD=REFERENCES THREAD=REFS
	// THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE I18NLEVEL=1
	// CONDSTORE QRESYNC ESORT WITHIN CONTEXT=SEARCH BINARY SNIPPET=FUZZY
	// PREVIEW=FUZZY PREVIEW SAVEDATE NOTIFY ACL RIGHTS=texk.
	dovecotPostLogin = []string{
		"IMAP4rev1", "SASL-IR", "LOGIN-REFERRALS", "ID", "ENABLE", "IDLE",
		"UNSELECT", "CHILDREN", "NAMESPACE", "UIDPLUS", "LIST-EXTENDED",
		"ESEARCH", "SEARCHRES", "LIST-STATUS", "MOVE", "STATUS=SIZE", "LITERAL+",
		// Last, as Dovecot lists it once a mailbox has a special_use
		// (testdata/dovecot_list.txt); the fake's seed has five.
		"SPECIAL-USE",
	}
	// dovecotPostLoginMissing are the capabilities of Dovecot's post-login
	// list that the Dovecot persona does not advertise, because the backend
	// does not implement them.
	dovecotPostLoginMissing = []string{
		"SORT", "SORT=DISPLAY", "THREAD=REFERENCES", "THREAD=REFS", "THREAD=ORDEREDSUBJECT",
		"MULTIAPPEND", "URL-PARTIAL", "CATENATE", "I18NLEVEL=1", "CONDSTORE", "QRESYNC",
		"ESORT", "WITHIN", "CONTEXT=SEARCH", "BINARY", "SNIPPET=FUZZY", "PREVIEW=FUZZY",
		"PREVIEW", "SAVEDATE", "NOTIFY", "ACL", "RIGHTS=texk",
	}
)

const (
	plaintextAlert = "* BAD [ALERT] Plaintext authentication not allowed without SSL/TLS, " +
		"but your client did it anyway. If anyone was listening, the password was exposed."
	plaintextRefused = "NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) connections."
)

const dovecotID = `* ID ("name" "Dovecot")`

// atomChars is a regexp class of RFC 3501's ATOM-CHAR, plus "]", which
// astring allows: any CHAR but ( ) { SP CTL % * " \.
const atomChars = `[^\x00-\x20(){%*"\\\x7f-\xff]`

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

var dovecotSpec = sync.OnceValue(func() *personaSpec {
	// noopDone matches the backend's reply to a NOOP sent for a viaNoop command.
	noopDone := regexp.MustCompile(`^OK NOOP completed$`)
	return &personaSpec{
		greeting:          "Dovecot (Debian) ready.",
		preAuthGreeting:   "Logged in as %s",
		preLogin:          dovecotPreLogin,
		postLogin:         dovecotPostLogin,
		mechanisms:        []string{"PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER"},
		literalPlus:       true,
		startTLSText:      "Begin TLS negotiation now.",
		untaggedLoginCaps: true,
		// go-imap reads "=" as an empty reply; Dovecot's base64 decoder refuses it.
		invalidSASL:        map[string]string{"=": "!"},
		bareEmptyChallenge: true,
		errorChallenges: map[string]string{
			"XOAUTH2":     b64(`{"status":"401","schemes":"bearer","scope":"mail"}`),
			"OAUTHBEARER": b64(`{"status":"invalid_token"}`),
		},
		viaNoop: []noopCommand{{"ID", anyState}, {"ENABLE", beforeLogin}},
		rules: []statusRule{
			{commands: []string{"ID"}, when: beforeLogin, match: noopDone,
				untagged: []string{dovecotID}, status: "OK ID completed."},
			{commands: []string{"ID"}, when: afterLogin, match: noopDone,
				untagged: []string{dovecotID}, status: "OK ID completed {timing}."},
			{commands: []string{"ENABLE"}, when: beforeLogin, match: noopDone,
				untagged: []string{"* ENABLED"}, status: "OK ENABLE ignored in non-authenticated state."},
			{commands: []string{"CAPABILITY"}, when: beforeLogin, match: regexp.MustCompile(`^OK CAPABILITY completed$`),
				status: "OK Pre-login capabilities listed, post-login capabilities have more."},
			{commands: []string{"LOGIN", "AUTHENTICATE"}, match: regexp.MustCompile(`^OK \[CAPABILITY (?P<caps>[^\]]*)\] (Logged in|\S+ authentication successful)$`),
				status: "OK [CAPABILITY {caps}] Logged in", capsUntagged: true},
			{commands: []string{"LOGIN", "AUTHENTICATE"}, match: regexp.MustCompile(`^NO \[AUTHENTICATIONFAILED\] Authentication failed$`),
				status: "NO [AUTHENTICATIONFAILED] Authentication failed."},
			{commands: []string{"LOGIN"}, match: regexp.MustCompile(`^NO \[PRIVACYREQUIRED\] `),
				untagged: []string{plaintextAlert}, status: plaintextRefused},
			{commands: []string{"AUTHENTICATE"}, match: regexp.MustCompile(`^NO \[PRIVACYREQUIRED\] `),
				status: plaintextRefused},
			{commands: []string{"AUTHENTICATE"}, match: regexp.MustCompile(`^BAD Malformed SASL response$`),
				status: "BAD Invalid base64 data in continued response"},
			{commands: []string{"AUTHENTICATE"}, match: regexp.MustCompile(`^BAD AUTHENTICATE cancelled$`),
				status: "BAD Authentication aborted by client."},
			{commands: []string{"AUTHENTICATE"}, match: regexp.MustCompile(`^NO SASL mechanism not supported$`),
				status: "NO [ALERT] Unsupported authentication mechanism."},
			{commands: []string{"SELECT", "EXAMINE", "STATUS"}, match: regexp.MustCompile(`^NO \[NONEXISTENT\] `),
				status: "NO Mailbox doesn't exist: {mailbox} {timing}."},
			{match: regexp.MustCompile(`^NO \[NOPERM\] Permission denied$`),
				status: "NO [NOPERM] Permission denied {timing}."},
			// Dovecot words the STORE it ignores in a read-only mailbox;
			// EXPUNGE there gets its usual OK.
			{commands: []string{"STORE"}, readOnly: true, match: regexp.MustCompile(`^OK (UID )?STORE completed$`),
				status: "OK Store ignored with read-only mailbox {timing}."},
			{when: beforeLogin, match: regexp.MustCompile(`^OK LOGOUT completed$`), status: "OK Logout completed."},
			{when: beforeLogin, match: noopDone, status: "OK NOOP completed."},
			{when: afterLogin, match: regexp.MustCompile(`^OK (?P<code>\[[^\]]*\] )?(UID )?(?P<name>[A-Z]+) completed$`),
				status: "OK {code}{Name} completed {timing}."},
		},
		untagged: []untaggedRule{
			{regexp.MustCompile(`^\* OK \[CLOSED\] Previous mailbox is now closed$`), "* OK [CLOSED] Previous mailbox closed."},
			// EXAMINE permits no flags (keywords.go), which Dovecot words so.
			{regexp.MustCompile(`^(\* OK \[PERMANENTFLAGS \(\)\]) Permanent flags$`), "$1 Read-only mailbox."},
			{regexp.MustCompile(`^(\* OK \[PERMANENTFLAGS \([^)]*\)\]) Permanent flags$`), "$1 Flags permitted."},
			{regexp.MustCompile(`^(\* OK \[UNSEEN \d+\]) First unseen message$`), "$1 First unseen."},
			// go-imap quotes every mailbox name but INBOX; Dovecot sends an
			// atom when the name is one.
			{regexp.MustCompile(`^(\* (?:LIST|LSUB) \([^)]*\) (?:"."|NIL) )"(` + atomChars + `+)"$`), "$1$2"},
			{regexp.MustCompile(`^(\* STATUS )"(` + atomChars + `+)"( \(.*)$`), "$1$2$3"},
		},
	}
})
