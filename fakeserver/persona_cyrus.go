package fakeserver

import (
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/imapprobe/imapprobe/faults"
)

// The Cyrus persona: Cyrus IMAP 3.6 as Debian 12 ships it, set up as
// integration/realservers does (sasl_mech_list PLAIN LOGIN, allowplaintext
// no, serverinfo on), from bytes captured off a real one
// (testdata/cyrus_wire.txt, recorded by integration's TestCyrusWireBytes).

// CyrusServerName is the server name the Cyrus persona greets with; the
// capture of a real Cyrus has its own replaced by it.
const CyrusServerName = "imapprobe-cyrus"

// CyrusVersion is the Cyrus the persona mimics, as its greeting and ID
// name it.
const CyrusVersion = "3.6.1-Debian-3.6.1-4+deb12u5"

var cyrusNormalRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`SESSIONID=<[^>]*>|MAILBOXID \([^)]*\)|\(\d+\.\d+ secs?\)`)
})

// NormalizeCyrus replaces what differs between Cyrus sessions in a line:
// the session ID ("SESSIONID=<S>"), the mailbox ID SELECT reports
// ("MAILBOXID (M)") and command timings ("(T secs)", or "(T sec)" as
// FETCH words it).
func NormalizeCyrus(line string) string {
	return cyrusNormalRE().ReplaceAllStringFunc(line, func(m string) string {
		switch {
		case strings.HasSuffix(m, " secs)"):
			return "(T secs)"
		case strings.HasSuffix(m, " sec)"):
			return "(T sec)"
		case strings.HasPrefix(m, "MAILBOXID"):
			return "MAILBOXID (M)"
		}
		return "SESSIONID=<S>"
	})
}

var (
	// cyrusGreetingCaps start the greeting's list (Cyrus's CAPA_PREAUTH);
	// the connection's STARTTLS, LOGINDISABLED or AUTH= entries follow.
	cyrusGreetingCaps = []string{"IMAP4rev1", "LITERAL+", "ID", "ENABLE"}
	// cyrusCaps is the list of CAPABILITY and of the login replies, before
	// and after login, without what the backend lacks (CyrusCapsMissing):
	// the connection's entries go after UNSELECT, where Cyrus puts them
	// (after XMOVE), and IDLE ends it.
	cyrusCaps = []string{
		"IMAP4rev1", "LITERAL+", "ID", "ENABLE", "CHILDREN", "ESEARCH", "LIST-EXTENDED",
		"LIST-STATUS", "MOVE", "NAMESPACE", "SPECIAL-USE", "STATUS=SIZE", "UIDPLUS", "UNSELECT",
	}
	cyrusCapsTail = []string{"IDLE"}
	// cyrusCapsMissing are the capabilities of Cyrus's list that the
	// persona does not advertise, because the backend does not implement
	// them.
	cyrusCapsMissing = []string{
		"ACL", "ANNOTATE-EXPERIMENT-1", "BINARY", "CATENATE", "CONDSTORE", "CREATE-SPECIAL-USE",
		"ESORT", "LIST-MYRIGHTS", "MAILBOX-REFERRALS", "METADATA", "MULTIAPPEND", "OBJECTID",
		"PREVIEW", "QRESYNC", "QUOTA", "RIGHTS=kxten", "SAVEDATE", "SEARCH=FUZZY", "SORT",
		"SORT=DISPLAY", "THREAD=ORDEREDSUBJECT", "THREAD=REFERENCES", "URLAUTH", "URLAUTH=BINARY",
		"WITHIN", "DIGEST=SHA1", "LIST-METADATA", "NO_ATOMIC_RENAME", "SCAN", "SORT=MODSEQ",
		"SORT=UID", "THREAD=REFS", "X-CREATEDMODSEQ", "X-REPLICATION", "X-SIEVE-MAILBOX", "XLIST",
		"XMOVE", "COMPRESS=DEFLATE", "X-QUOTA=STORAGE", "X-QUOTA=MESSAGE",
		"X-QUOTA=X-ANNOTATION-STORAGE", "X-QUOTA=X-NUM-FOLDERS", "APPENDLIMIT=4294967295",
	}
)

// cyrusCapsFor builds Cyrus's lists. Before login the connection's entries
// are the backend's STARTTLS, LOGINDISABLED and AUTH=, then SASL-IR when
// a mechanism is offered. After login Cyrus 3.6 lists LOGINDISABLED, and,
// when the session logged in with LOGIN rather than AUTHENTICATE, its
// mechanisms too (as captured).
func cyrusCapsFor(p *personaConn, backend []string, preLogin, greeting bool) []string {
	var conn []string
	if preLogin {
		for _, c := range backend {
			if c == "STARTTLS" || c == "LOGINDISABLED" || strings.HasPrefix(c, "AUTH=") {
				conn = append(conn, c)
			}
		}
		if slices.ContainsFunc(conn, func(c string) bool { return strings.HasPrefix(c, "AUTH=") }) {
			conn = append(conn, "SASL-IR")
		}
	} else {
		conn = []string{"LOGINDISABLED"}
		if p.viaLogin.Load() {
			for _, m := range p.spec.mechanisms {
				conn = append(conn, "AUTH="+m)
			}
		}
	}
	if greeting && preLogin {
		return slices.Concat(cyrusGreetingCaps, conn)
	}
	return slices.Concat(cyrusCaps, conn, cyrusCapsTail)
}

// cyrusID is Cyrus's answer to ID, without the "os-version" and
// "environment" fields, which name the host's kernel and libraries.
const cyrusID = `* ID ("name" "Cyrus IMAPD" "version" "` + CyrusVersion + `" "vendor" "Project Cyrus" "support-url" "https://www.cyrusimap.org" "os" "Linux")`

// cyrusSession stands for the session ID Cyrus appends to a login's OK.
const cyrusSession = "SESSIONID=<" + CyrusServerName + "-1-1>"

// cyrusSystemFlags is the order Cyrus lists the system flags in, in
// SELECT's FLAGS and PERMANENTFLAGS and in FETCH's FLAGS (as captured).
var cyrusSystemFlags = []string{`\Answered`, `\Flagged`, `\Draft`, `\Deleted`, `\Seen`, `\Recent`}

// cyrusRefusals word the front's refusals (faults.No*Reply, Dovecot's
// words) as Cyrus does, as captured in the "refusals", "no TLS configured"
// and plain-port sections: a command before login, the one Cyrus knows
// not or STARTTLS without TLS, is answered as unknown.
func cyrusRefusals() []untaggedRule {
	exact := func(s string) *regexp.Regexp { return regexp.MustCompile("^" + regexp.QuoteMeta(s) + "$") }
	loggedIn := strings.Replace(regexp.QuoteMeta(faults.NoCommandLoggedInFormat), "%s", ".+", 1)
	return []untaggedRule{
		{exact(faults.NoStartTLSReply), "BAD Unrecognized command"},
		{exact(faults.NoMechanismReply), "NO no mechanism available"},
		{exact(faults.LoginDisabledReply), "NO Login only available under a layer"},
		{exact(faults.NoCommandReply), "BAD Please login first"},
		{regexp.MustCompile("^" + loggedIn + "$"), "BAD Unrecognized command"},
	}
}

var cyrusSpec = sync.OnceValue(func() *personaSpec {
	noopDone := regexp.MustCompile(`^OK NOOP completed$`)
	return &personaSpec{
		greeting:    CyrusServerName + " Cyrus IMAP " + CyrusVersion + " server ready",
		capsFor:     cyrusCapsFor,
		mechanisms:  []string{"PLAIN", "LOGIN"},
		literalPlus: true,
		systemFlags: cyrusSystemFlags,
		refusals:    cyrusRefusals(),
		viaNoop:     []noopCommand{{"ID", anyState}},
		rules: []statusRule{
			{commands: []string{"ID"}, match: noopDone, untagged: []string{cyrusID}, status: "OK Completed"},
			{commands: []string{"LOGIN"}, match: regexp.MustCompile(`^OK \[CAPABILITY (?P<caps>[^\]]*)\] `),
				status: "OK [CAPABILITY {caps}] User logged in " + cyrusSession},
			{commands: []string{"AUTHENTICATE"}, match: regexp.MustCompile(`^OK \[CAPABILITY (?P<caps>[^\]]*)\] `),
				status: "OK [CAPABILITY {caps}] Success (tls protection) " + cyrusSession},
			{commands: []string{"LOGIN"}, match: regexp.MustCompile(`^NO \[AUTHENTICATIONFAILED\] `),
				status: "NO Login failed: authentication failure"},
			{commands: []string{"AUTHENTICATE"}, match: regexp.MustCompile(`^NO \[AUTHENTICATIONFAILED\] `),
				status: "NO authentication failure"},
			{commands: []string{"LOGIN"}, match: regexp.MustCompile(`^NO \[PRIVACYREQUIRED\] `),
				status: "NO Login only available under a layer"},
			{commands: []string{"AUTHENTICATE"}, match: regexp.MustCompile(`^NO SASL mechanism not supported$`),
				status: "NO no mechanism available"},
			{commands: []string{"SELECT", "EXAMINE", "STATUS"}, match: regexp.MustCompile(`^NO \[NONEXISTENT\] `),
				status: "NO Mailbox does not exist"},
			{match: regexp.MustCompile(`^NO \[NOPERM\] `), status: "NO Permission denied"},
			// Cyrus refuses what the backend ignores in a read-only mailbox.
			{commands: []string{"STORE", "EXPUNGE"}, readOnly: true, match: regexp.MustCompile(`^OK (UID )?(STORE|EXPUNGE) completed$`),
				status: "NO Permission denied"},
			{when: beforeLogin, match: regexp.MustCompile(`^BAD Unknown command$`), status: "BAD Please login first"},
			{match: regexp.MustCompile(`^BAD Unknown command$`), status: "BAD Unrecognized command"},
			// Without TLS, Cyrus does not know STARTTLS.
			{commands: []string{"STARTTLS"}, match: regexp.MustCompile(`^NO STARTTLS not supported$`), status: "BAD Unrecognized command"},
			{when: beforeLogin, match: regexp.MustCompile(`^BAD \[CLIENTBUG\] This command is only valid in the authenticated state$`),
				status: "BAD Please login first"},
			{match: regexp.MustCompile(`^OK (?P<code>\[[^\]]*\] )?(UID )?[A-Z]+ completed$`), status: "OK {code}Completed"},
		},
		untagged: []untaggedRule{
			{regexp.MustCompile(`^\* BYE Logging out$`), "* BYE LOGOUT received"},
			{regexp.MustCompile(`^(\* OK \[PERMANENTFLAGS \([^)]*\)\]) Permanent flags$`), "$1 Ok"},
		},
	}
})
