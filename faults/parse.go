package faults

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// kind describes one fault kind for Parse and Unmarshal.
type kind struct {
	// parse reads ARGS; spec is the whole spec, for error messages.
	parse func(spec, args string) (Fault, error)
	// zero returns an empty fault to decode JSON fields into.
	zero func() Fault
	// freeText kinds may contain ";" in ARGS (reply, BYE, greeting and
	// rewrite texts).
	freeText bool
}

var kinds = map[string]kind{
	"bye":      {parse: parseBye, zero: func() Fault { return new(Bye) }, freeText: true},
	"caps":     {parse: parseCaps, zero: func() Fault { return new(Caps) }},
	"cert":     {parse: parseCert, zero: func() Fault { return new(Cert) }},
	"delay":    {parse: parseDelay, zero: func() Fault { return new(Delay) }},
	"drop":     {parse: parseDrop, zero: func() Fault { return new(Drop) }},
	"garbage":  {parse: parseGarbage, zero: func() Fault { return new(Garbage) }},
	"greeting": {parse: parseGreeting, zero: func() Fault { return new(Greeting) }, freeText: true},
	"reply":    {parse: parseReply, zero: func() Fault { return new(Reply) }, freeText: true},
	"rewrite":  {parse: parseRewrite, zero: func() Fault { return new(Rewrite) }, freeText: true},
	"starttls": {parse: parseStartTLS, zero: func() Fault { return new(StartTLS) }},
	"throttle": {parse: parseThrottle, zero: func() Fault { return new(Throttle) }},
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
// ";user=NAME", ";nth=N", ";times=N", in any order. They are read from
// the end, so reply, BYE, greeting and rewrite texts may hold spaces, ":",
// "=" and ";". Kinds and variants are case-insensitive; Spec writes the
// canonical form. Every form, by kind (COMMAND is an IMAP command name,
// "UID FETCH" style, or "*"):
//
//	delay:COMMAND=DURATION[,jitter=DURATION]    delay:SELECT=2s
//	delay:greeting=DURATION[,jitter=DURATION]   delay:greeting=500ms
//	delay:tls=DURATION[,jitter=DURATION]        delay:tls=1s,jitter=100ms
//	reply:COMMAND=NO|BAD [CODE] TEXT            reply:SELECT=NO [NONEXISTENT] no such mailbox
//	drop:on-accept[,rst]                        drop:on-accept,rst
//	drop:after-greeting[,rst]                   drop:after-greeting
//	drop:COMMAND[,rst]                          drop:FETCH
//	drop:COMMAND+BYTES[,rst]                    drop:FETCH+120
//	drop:bytes=BYTES[,rst]                      drop:bytes=4096
//	cert:VARIANT                                cert:expired (see Cert)
//	greeting:VARIANT                            greeting:bye (see Greeting)
//	greeting:text=LINE                          greeting:text=* OK [CAPABILITY IMAP4rev1] Dovecot ready.
//	caps:-CAP | caps:+CAP                       caps:-STARTTLS, caps:+LOGINDISABLED
//	caps:refuse=AUTH=MECH                       caps:refuse=AUTH=XOAUTH2
//	throttle:rate=BYTES_PER_SECOND[,chunk=N]    throttle:rate=1024
//	throttle:chunk=N                            throttle:chunk=1
//	garbage:COMMAND=VARIANT                     garbage:FETCH=short-literal (see Garbage)
//	rewrite:COMMAND=OLD>NEW                     rewrite:SELECT=[READ-WRITE]>[READ-ONLY]
//	bye:COMMAND[=TEXT]                          bye:SELECT=Server shutting down
//	starttls:stall|plaintext                    starttls:stall
//
// with scope: delay:SELECT=2s;user=alice;nth=2;times=1. A user scope is
// refused for faults that fire before the client names a user.
func Parse(spec string) (Fault, error) {
	if strings.ContainsAny(spec, "\r\n") {
		return nil, fmt.Errorf("faults: line break in %q; a spec is one line", spec)
	}
	name, rest, _ := strings.Cut(spec, ":")
	k, ok := kinds[strings.ToLower(name)]
	if !ok {
		return nil, fmt.Errorf("faults: unknown kind %q in %q; valid kinds: %s",
			name, spec, strings.Join(Kinds(), ", "))
	}
	args, scope, err := cutScope(spec, rest)
	if err != nil {
		return nil, err
	}
	if !k.freeText && strings.Contains(args, ";") {
		_, opt, _ := strings.Cut(args, ";")
		return nil, specError(spec, fmt.Sprintf("unknown option %q", opt),
			"valid options: user=NAME, nth=N, times=N")
	}
	f, err := k.parse(spec, args)
	if err != nil {
		return nil, err
	}
	if b, ok := f.(beforeUser); ok && scope.User != "" && b.firesBeforeUser() {
		return nil, specError(spec, fmt.Sprintf("user=%s can never match", scope.User),
			"this fault fires before the client names a user; drop the user option")
	}
	s := f.Scope()
	s.User, s.Nth, s.Times = scope.User, scope.Nth, scope.Times
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

// cutScope splits the trailing scope options off rest.
func cutScope(spec, rest string) (string, scopeOptions, error) {
	var o scopeOptions
	seen := map[string]bool{}
	for {
		i := strings.LastIndexByte(rest, ';')
		if i < 0 {
			return rest, o, nil
		}
		key, val, _ := strings.Cut(rest[i+1:], "=")
		if key != "user" && key != "nth" && key != "times" {
			return rest, o, nil
		}
		if seen[key] {
			return "", o, specError(spec, fmt.Sprintf("repeated option %q", key), "give each option once")
		}
		seen[key] = true
		switch key {
		case "user":
			if val == "" {
				return "", o, specError(spec, "empty user", "write user=NAME")
			}
			o.User = val
		case "nth", "times":
			n, err := strconv.Atoi(val)
			if err != nil || n < 1 {
				return "", o, specError(spec, fmt.Sprintf("bad %s %q", key, val),
					fmt.Sprintf("want a whole number of 1 or more, e.g. %s=2", key))
			}
			if key == "nth" {
				o.Nth = n
			} else {
				o.Times = n
			}
		}
		rest = rest[:i]
	}
}

// scopeSuffix is the spec form of s, "" for the zero scope.
func scopeSuffix(s *Scope) string {
	var b strings.Builder
	if s.User != "" {
		b.WriteString(";user=" + s.User)
	}
	if s.Nth > 0 {
		b.WriteString(";nth=" + strconv.Itoa(s.Nth))
	}
	if s.Times > 0 {
		b.WriteString(";times=" + strconv.Itoa(s.Times))
	}
	return b.String()
}

// specError is the one error shape for a bad spec: what is wrong, where,
// and how to fix it.
func specError(spec, problem, hint string) error {
	return fmt.Errorf("faults: %s in %q; %s", problem, spec, hint)
}

// oneOf checks that choice (compared case-insensitively) is one of valid
// and returns it in its canonical spelling.
func oneOf(spec, what, choice string, valid []string) (string, error) {
	for _, v := range valid {
		if strings.EqualFold(choice, v) {
			return v, nil
		}
	}
	return "", specError(spec, fmt.Sprintf("unknown %s %q", what, choice),
		"valid: "+strings.Join(valid, ", "))
}
