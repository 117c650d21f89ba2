package faults

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// kind describes one fault kind for Parse and Unmarshal.
type kind struct {
	// parse reads the text after "KIND:" into fields, which validate then
	// checks, and returns the scope options it left; spec is the whole
	// spec, for error messages.
	parse func(spec, rest string) (f Fault, scope string, err error)
	// zero returns an empty fault to decode JSON fields into.
	zero func() Fault
	// example is a spec of the kind, shown when a JSON fault lacks fields.
	example string
}

var kinds = map[string]kind{
	"bye":      {parseBye, func() Fault { return new(Bye) }, "bye:FETCH=Server shutting down"},
	"caps":     {plain(parseCaps), func() Fault { return new(Caps) }, "caps:-STARTTLS"},
	"cert":     {plain(parseCert), func() Fault { return new(Cert) }, "cert:expired"},
	"delay":    {plain(parseDelay), func() Fault { return new(Delay) }, "delay:SELECT|EXAMINE=3s"},
	"drop":     {plain(parseDrop), func() Fault { return new(Drop) }, "drop:FETCH+120"},
	"garbage":  {plain(parseGarbage), func() Fault { return new(Garbage) }, "garbage:FETCH=broken-fetch"},
	"greeting": {parseGreeting, func() Fault { return new(Greeting) }, "greeting:text=* OK ready"},
	"reply":    {parseReply, func() Fault { return new(Reply) }, "reply:SELECT|EXAMINE=NO [NONEXISTENT] no such mailbox"},
	"rewrite":  {parseRewrite, func() Fault { return new(Rewrite) }, "rewrite:FETCH=RFC822.SIZE >RFC822.SIZE 9"},
	"starttls": {plain(parseStartTLS), func() Fault { return new(StartTLS) }, "starttls:stall"},
	"throttle": {plain(parseThrottle), func() Fault { return new(Throttle) }, "throttle:rate=1024"},
}

// plain adapts the parser of a kind without free text: its ARGS end at
// the first ";", where the scope options start.
func plain(parse func(spec, args string) (Fault, error)) func(string, string) (Fault, string, error) {
	return func(spec, rest string) (Fault, string, error) {
		args, scope := rest, ""
		if i := strings.IndexByte(rest, ';'); i >= 0 {
			args, scope = rest[:i], rest[i:]
		}
		f, err := parse(spec, args)
		return f, scope, err
	}
}

// Kinds lists the fault kinds, sorted.
func Kinds() []string {
	return slices.Sorted(maps.Keys(kinds))
}

// beforeUser is implemented by faults that may fire before the client has
// named a user; for them a user scope could never match and is refused.
type beforeUser interface {
	firesBeforeUser() bool
}

// Parse reads one text spec such as "delay:SELECT=2s". A bad spec gives
// one error that names the bad part and lists the valid choices.
//
// A spec is KIND:ARGS and then scope options, each ";KEY=VALUE":
// ";user=NAME", ";nth=N", ";times=N", in any order. Kinds and variants
// are case-insensitive; Spec writes the canonical form. A spec is one line
// of UTF-8. Every form, by kind (COMMAND is "*", or an IMAP command
// name, "UID FETCH" style, or several joined by "|"):
//
//	delay:COMMAND=DURATION[,jitter=DURATION]    delay:SELECT|EXAMINE=3s
//	delay:greeting=DURATION[,jitter=DURATION]   delay:greeting=500ms
//	delay:tls=DURATION[,jitter=DURATION]        delay:tls=1s,jitter=100ms
//	reply:COMMAND=NO|BAD [CODE] TEXT            reply:SELECT|EXAMINE=NO [NONEXISTENT] no such mailbox
//	drop:on-accept[,rst]                        drop:on-accept,rst
//	drop:after-greeting[,rst]                   drop:after-greeting
//	drop:COMMAND[,rst]                          drop:FETCH
//	drop:COMMAND+BYTES[,rst]                    drop:FETCH+120
//	drop:bytes=BYTES[,rst]                      drop:bytes=4096
//	cert:VARIANT                                cert:expired (see Cert)
//	greeting:VARIANT                            greeting:bye (see Greeting)
//	greeting:text=TEXT                          greeting:text=* OK [CAPABILITY IMAP4rev1] Dovecot ready.
//	caps:-CAP | caps:+CAP                       caps:-STARTTLS, caps:+LOGINDISABLED
//	caps:refuse=AUTH=MECH                       caps:refuse=AUTH=PLAIN
//	throttle:rate=BYTES_PER_SECOND[,chunk=N]    throttle:rate=1024
//	throttle:chunk=N                            throttle:chunk=1
//	garbage:COMMAND=VARIANT                     garbage:FETCH=short-literal (see Garbage)
//	rewrite:COMMAND=OLD>NEW                     rewrite:FETCH=RFC822.SIZE >RFC822.SIZE 9
//	bye:COMMAND[=TEXT]                          bye:FETCH=Server shutting down
//	starttls:stall|plaintext                    starttls:stall
//
// with scope: delay:SELECT=2s;user=alice;nth=2;times=1. A user scope is
// refused for faults that fire before the client names a user.
//
// A command matches as the client sends it, so name every form a client
// may use: "SELECT|EXAMINE" (imapprobe sends EXAMINE unless --select),
// "LOGIN|AUTHENTICATE" (imapprobe sends AUTHENTICATE PLAIN unless --auth
// login). "FETCH" matches FETCH and UID FETCH; "UID FETCH" only the latter.
//
// The texts (the reply after "=", TEXT, OLD and NEW) may hold spaces,
// ":", "=" and ";": the scope options are read from the end of the spec,
// and a bare OLD ends at the first ">". A text that ends in what reads as
// a scope option (";times=1"), an OLD with a ">", or a text that starts
// with a double quote is written in double quotes, with \" for a quote
// and \\ for a backslash: reply:SELECT="NO [CANNOT] x;times=1";nth=2.
// Spec quotes exactly when the bare form would read back differently.
func Parse(spec string) (Fault, error) {
	if i := badUTF8([]byte(spec)); i >= 0 {
		return nil, specError(spec, fmt.Sprintf("invalid UTF-8 (byte %#x at offset %d)", spec[i], i),
			"a spec is UTF-8 text")
	}
	if strings.ContainsAny(spec, "\r\n") {
		return nil, fmt.Errorf("faults: line break in %q; a spec is one line", spec)
	}
	name, rest, _ := strings.Cut(spec, ":")
	k, ok := kinds[asciiLower(name)]
	if !ok {
		return nil, fmt.Errorf("faults: unknown kind %q in %q; valid kinds: %s",
			name, spec, strings.Join(Kinds(), ", "))
	}
	f, scopeText, err := k.parse(spec, rest)
	if err != nil {
		return nil, err
	}
	scope, err := parseScope(spec, scopeText)
	if err != nil {
		return nil, err
	}
	s := f.Scope()
	s.User, s.Nth, s.Times = scope.User, scope.Nth, scope.Times
	if e := validate(f); e != nil {
		return nil, specError(spec, e.problem, e.hint)
	}
	return f, nil
}

// ParseAll parses several specs into a Set, stopping at the first bad one.
func ParseAll(specs []string) (Set, error) {
	return setOf(specs, Parse)
}

// setOf reads each item into a fault, stopping at the first error.
func setOf[T any](items []T, read func(T) (Fault, error)) (Set, error) {
	set := make(Set, 0, len(items))
	for _, item := range items {
		f, err := read(item)
		if err != nil {
			return nil, err
		}
		set = append(set, f)
	}
	return set, nil
}

// scopeOptions are the values of a spec's scope options.
type scopeOptions struct {
	User       string
	Nth, Times int
}

// specError is the one error shape for a bad spec: what is wrong, where,
// and how to fix it.
func specError(spec, problem, hint string) error {
	return fmt.Errorf("faults: %s in %q; %s", problem, spec, hint)
}

// oneOf checks that choice (compared case-insensitively, in ASCII) is
// one of valid and returns it in its canonical spelling; field and what
// name it in the error.
func oneOf(field, what, choice string, valid []string) (string, *fieldError) {
	for _, v := range valid {
		if asciiLower(choice) == asciiLower(v) {
			return v, nil
		}
	}
	return "", &fieldError{field, fmt.Sprintf("unknown %s %q", what, choice), "valid: " + strings.Join(valid, ", ")}
}
