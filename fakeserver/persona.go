package fakeserver

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Persona is the server the fake looks like on the wire: its greeting,
// capability lists and status texts. The protocol behind it is the same
// go-imap backend whatever the persona; faults apply on top of it.
type Persona int

const (
	// PersonaGoImap speaks as go-imap's imapserver does (the default).
	PersonaGoImap Persona = iota
	// PersonaDovecot mimics Dovecot 2.3 as Debian ships it: its greeting,
	// pre- and post-login capabilities, ID, the texts of CAPABILITY,
	// STARTTLS, LOGIN, AUTHENTICATE, LOGOUT and mailbox errors, and its
	// OAuth error challenges. Post-login it advertises only the Dovecot
	// extensions the backend implements (no SORT, THREAD, CONDSTORE...).
	PersonaDovecot
	// PersonaCyrus mimics Cyrus IMAP 3.6 as Debian ships it, set up with
	// PLAIN and LOGIN only (no OAuth): its greeting, capability lists (of
	// the extensions the backend implements), ID, and the texts of its
	// status replies, logins and mailbox errors (persona_cyrus.go).
	PersonaCyrus
)

var personaNames = map[Persona]string{PersonaGoImap: "goimap", PersonaDovecot: "dovecot", PersonaCyrus: "cyrus"}

func (p Persona) String() string {
	if s, ok := personaNames[p]; ok {
		return s
	}
	return fmt.Sprintf("Persona(%d)", int(p))
}

// ParsePersona reads "goimap", "dovecot" or "cyrus".
func ParsePersona(s string) (Persona, error) {
	for p, name := range personaNames {
		if s == name {
			return p, nil
		}
	}
	return 0, fmt.Errorf("unknown persona %q: use goimap, dovecot or cyrus", s)
}

// WithPersona sets the server the fake looks like (default PersonaGoImap).
func WithPersona(p Persona) Option { return func(c *config) { c.persona = p } }

// personaSpec is what a persona changes. The zero value changes nothing.
type personaSpec struct {
	greeting string // replaces the backend's greeting text
	// preAuthGreeting, if set, is the text of a PREAUTH greeting; %s is
	// the user.
	preAuthGreeting string

	// preLogin and postLogin replace the backend's capability lists; before
	// login the backend's STARTTLS, LOGINDISABLED and AUTH= entries, which
	// depend on the connection, are appended to preLogin.
	preLogin, postLogin []string
	// capsFor, if set, replaces every capability list instead: backend is
	// the backend's list; preLogin says it is a pre-login one, greeting
	// the greeting's.
	capsFor func(p *personaConn, backend []string, preLogin, greeting bool) []string

	// addCaps are advertised besides the backend's list, before its
	// STARTTLS, LOGINDISABLED and AUTH= entries: commands the front
	// answers (ID) and imapserver's whitelist would drop.
	addCaps []string

	mechanisms  []string // SASL mechanisms of the backend
	literalPlus bool     // the backend takes non-synchronising literals of any size

	startTLSText string // STARTTLS's OK text

	// untaggedLoginCaps: after a pre-login, pre-STARTTLS CAPABILITY, the
	// login reply carries the capabilities in an untagged CAPABILITY
	// instead of a [CAPABILITY] code (Dovecot's workaround for clients that
	// ignore response codes).
	untaggedLoginCaps bool

	// invalidSASL replaces SASL replies the persona's server refuses as bad
	// base64 ("=") by one the backend refuses too.
	invalidSASL map[string]string

	// errorChallenges replace, per mechanism, a non-empty challenge.
	errorChallenges map[string]string
	// bareEmptyChallenge sends an empty challenge as "+ ", not go-imap's "+ =".
	bareEmptyChallenge bool

	// systemFlags is the order of the system flags in flag lists
	// (flags.go); nil: Dovecot's.
	systemFlags []string
	// refusals reword the front's own refusals of what a caps fault took
	// away (capsrefuse.go), which are Dovecot's words (faults.No*Reply),
	// as the persona's server words them; the first match wins.
	refusals []untaggedRule

	// viaNoop are commands the backend lacks (ID) or answers otherwise
	// (ENABLE before login): the front sends it a NOOP instead, whose reply a
	// rule turns into the persona's answer. The answer so keeps its place
	// among the responses to pipelined commands.
	viaNoop  []noopCommand
	rules    []statusRule
	untagged []untaggedRule
}

// untaggedRule rewrites an untagged response line of the backend (without
// CRLF), or a refusal's text, by regexp replacement.
type untaggedRule struct {
	match   *regexp.Regexp
	replace string
}

// loginState says when a rule applies.
type loginState int

const (
	anyState loginState = iota
	beforeLogin
	afterLogin
)

// noopCommand is a command the backend sees as NOOP, in a login state.
type noopCommand struct {
	command string
	when    loginState
}

// statusRule rewrites the backend's tagged reply to a command. The first
// matching rule wins.
type statusRule struct {
	commands []string // upper-case; nil: any command
	when     loginState
	// match is applied to the reply after "TAG ", without its CRLF. Its
	// named groups fill the placeholders of status.
	match *regexp.Regexp
	// status replaces the reply: {code} is the group "code", {Name} the
	// group "name" capitalised, {mailbox} the command's first argument,
	// {caps} the group "caps", {timing} dovecotTiming.
	status   string
	untagged []string // lines sent before, without CRLF
	// capsUntagged moves the group "caps" into an untagged CAPABILITY
	// line when the connection asked for it (untaggedLoginCaps).
	capsUntagged bool
	// readOnly: the rule applies only in a mailbox opened read-only,
	// where the backend ignores STORE and EXPUNGE (readonly.go).
	readOnly bool
}

func (p Persona) spec() *personaSpec {
	switch p {
	case PersonaDovecot:
		return dovecotSpec()
	case PersonaCyrus:
		return cyrusSpec()
	}
	return goImapSpec()
}

// goImapID is the default persona's answer to ID (RFC 2971).
const goImapID = `* ID ("name" "fakeserver" "vendor" "imapprobe")`

// goImapSpec is the default persona: the backend as it is, plus ID, which
// imapserver lacks, served through a NOOP like Dovecot's.
var goImapSpec = sync.OnceValue(func() *personaSpec {
	return &personaSpec{
		addCaps: []string{"ID"},
		viaNoop: []noopCommand{{"ID", anyState}},
		rules: []statusRule{{commands: []string{"ID"}, match: regexp.MustCompile(`^OK NOOP completed$`),
			untagged: []string{goImapID}, status: "OK ID completed"}},
	}
})

// personaConn is a persona's state on one connection.
type personaConn struct {
	spec *personaSpec
	// loggedIn follows the backend: its last capability list was a
	// post-login one.
	loggedIn atomic.Bool
	// startTLS: the client sent STARTTLS.
	startTLS atomic.Bool
	// capsUntagged: the client sent CAPABILITY before login and STARTTLS.
	capsUntagged atomic.Bool
	// inGreeting: the next capability list is the greeting's.
	inGreeting atomic.Bool
	// viaLogin: the last login command was LOGIN, not AUTHENTICATE.
	viaLogin atomic.Bool
	// readOnly: the selected mailbox is read-only, as the backend's reply
	// to the last SELECT or EXAMINE said ("OK [READ-ONLY]").
	readOnly atomic.Bool
}

func (p *personaConn) state() loginState {
	if p.loggedIn.Load() {
		return afterLogin
	}
	return beforeLogin
}

// greeting rewrites the backend's greeting text; user is the one a PREAUTH
// greeting logs in.
func (p *personaConn) greeting(line []byte, user string) []byte {
	p.inGreeting.Store(true)
	text := p.spec.greeting
	if bytes.HasPrefix(line, []byte("* PREAUTH ")) && p.spec.preAuthGreeting != "" {
		text = fmt.Sprintf(p.spec.preAuthGreeting, user)
	}
	if text == "" {
		return line
	}
	return bytes.Replace(line, []byte("IMAP server ready"), []byte(text), 1)
}

// caps replaces a capability list of the backend by the persona's.
func (p *personaConn) caps(backend []string) []string {
	preLogin := slices.ContainsFunc(backend, func(c string) bool {
		return c == "LOGINDISABLED" || strings.HasPrefix(c, "AUTH=")
	})
	p.loggedIn.Store(!preLogin)
	greeting := p.inGreeting.Swap(false)
	if p.spec.capsFor != nil {
		return p.spec.capsFor(p, backend, preLogin, greeting)
	}
	switch {
	case preLogin && p.spec.preLogin != nil:
		out := slices.Clone(p.spec.preLogin)
		for _, c := range backend {
			if c == "STARTTLS" || c == "LOGINDISABLED" || strings.HasPrefix(c, "AUTH=") {
				out = append(out, c)
			}
		}
		return out
	case !preLogin && p.spec.postLogin != nil:
		return slices.Clone(p.spec.postLogin)
	}
	if len(p.spec.addCaps) == 0 {
		return backend
	}
	i := slices.IndexFunc(backend, func(c string) bool {
		return c == "STARTTLS" || c == "LOGINDISABLED" || strings.HasPrefix(c, "AUTH=")
	})
	if i < 0 {
		i = len(backend)
	}
	return slices.Concat(backend[:i], p.spec.addCaps, backend[i:])
}

// sawCommand notes what the persona's replies depend on.
func (p *personaConn) sawCommand(name string) {
	switch name {
	case "STARTTLS":
		p.startTLS.Store(true)
	case "LOGIN", "AUTHENTICATE":
		p.viaLogin.Store(name == "LOGIN")
	case "CAPABILITY":
		if p.spec.untaggedLoginCaps && !p.loggedIn.Load() && !p.startTLS.Load() {
			p.capsUntagged.Store(true)
		}
	}
}

// viaNoop reports whether the backend must see a NOOP instead of the
// command.
func (p *personaConn) viaNoop(name string) bool {
	st := p.state()
	return slices.ContainsFunc(p.spec.viaNoop, func(n noopCommand) bool {
		return n.command == name && (n.when == anyState || n.when == st)
	})
}

// startTLSOK is the front's reply to STARTTLS.
func (p *personaConn) startTLSOK(tag string) []byte {
	text := p.spec.startTLSText
	if text == "" {
		text = "Begin TLS negotiation now"
	}
	return []byte(tag + " OK " + text + "\r\n")
}

// refusal words reply, a refusal of the front's after "TAG ", as the
// persona's server does.
func (p *personaConn) refusal(reply string) string {
	for _, r := range p.spec.refusals {
		if r.match.MatchString(reply) {
			return r.match.ReplaceAllString(reply, r.replace)
		}
	}
	return reply
}

// saslReply maps a client's SASL reply to what the backend must see.
func (p *personaConn) saslReply(line []byte) []byte {
	body := strings.TrimRight(string(line), "\r\n")
	if repl, ok := p.spec.invalidSASL[body]; ok {
		return []byte(repl + string(line[len(body):]))
	}
	return line
}

// rewrite returns the function that rewrites the backend's response lines
// to a command, or nil. mech is AUTHENTICATE's mechanism, rest the
// command's arguments.
func (p *personaConn) rewrite(tag, name, mech, rest string) func([]byte) []byte {
	var rules []statusRule
	for _, r := range p.spec.rules {
		if r.commands == nil || slices.Contains(r.commands, name) {
			rules = append(rules, r)
		}
	}
	challenge := p.spec.errorChallenges[mech]
	sasl := name == "AUTHENTICATE" && (challenge != "" || p.spec.bareEmptyChallenge)
	track := p.tracksReadOnly(name)
	if !sasl && !track && len(rules) == 0 && len(p.spec.untagged) == 0 {
		return nil
	}
	return func(line []byte) []byte {
		body := strings.TrimRight(string(line), "\r\n")
		ending := string(line[len(body):])
		if sasl && strings.HasPrefix(body, "+ ") {
			switch {
			case body == "+ =" && p.spec.bareEmptyChallenge:
				return []byte("+ " + ending)
			case body != "+ =" && body != "+ " && challenge != "":
				// The fake's only non-empty OAuth challenge is the error one.
				return []byte("+ " + challenge + ending)
			}
			return line
		}
		if strings.HasPrefix(body, "* ") {
			for _, u := range p.spec.untagged {
				if u.match.MatchString(body) {
					return []byte(u.match.ReplaceAllString(body, u.replace) + ending)
				}
			}
		}
		if !isTagged(line, tag) {
			return line
		}
		status := body[len(tag)+1:]
		if track { // a failed SELECT or EXAMINE leaves none selected
			p.readOnly.Store(strings.HasPrefix(status, "OK [READ-ONLY]"))
		}
		st := p.state()
		for _, r := range rules {
			if r.when != anyState && r.when != st || r.readOnly && !p.readOnly.Load() {
				continue
			}
			m := r.match.FindStringSubmatch(status)
			if m == nil {
				continue
			}
			return p.apply(r, m, tag, rest, ending)
		}
		return line
	}
}

// tracksReadOnly reports whether the command is SELECT or EXAMINE, whose
// reply says whether the mailbox is read-only, and a rule of the persona
// needs to know. (After CLOSE or UNSELECT no mailbox is selected, and
// STORE and EXPUNGE get BAD, which no readOnly rule matches.)
func (p *personaConn) tracksReadOnly(name string) bool {
	return (name == "SELECT" || name == "EXAMINE") &&
		slices.ContainsFunc(p.spec.rules, func(r statusRule) bool { return r.readOnly })
}

func (p *personaConn) apply(r statusRule, m []string, tag, rest, ending string) []byte {
	group := func(name string) string {
		if i := r.match.SubexpIndex(name); i > 0 {
			return m[i]
		}
		return ""
	}
	status := strings.NewReplacer(
		"{code}", group("code"),
		"{Name}", capitalise(group("name")),
		"{mailbox}", firstAString(rest),
		"{timing}", dovecotTiming,
		"{caps}", group("caps"),
	).Replace(r.status)
	var b strings.Builder
	for _, u := range r.untagged {
		b.WriteString(u + ending)
	}
	if r.capsUntagged && p.capsUntagged.Load() {
		b.WriteString("* CAPABILITY " + group("caps") + ending)
		status = strings.Replace(status, "[CAPABILITY "+group("caps")+"] ", "", 1)
	}
	b.WriteString(tag + " " + status + ending)
	return []byte(b.String())
}

// capitalise turns "LOGOUT" into "Logout".
func capitalise(s string) string {
	if s == "" {
		return s
	}
	return s[:1] + strings.ToLower(s[1:])
}
