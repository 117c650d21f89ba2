package faults

import (
	"fmt"
	"strings"
)

// beforeUser is implemented by faults that may fire before the client has
// named a user; for them a user scope could never match and is refused.
type beforeUser interface {
	firesBeforeUser() bool
}

// Parse reads one text spec such as "delay:SELECT=2s". A bad spec gives
// one error that names the bad part and lists the valid choices.
//
// A spec is KIND:ARGS and then scope options, each ";KEY=VALUE":
// ";user=NAME", ";nth=N" (the Nth matching occurrence only), ";since=N"
// (the Nth and every later one), ";times=N", in any order. Kinds and variants
// are case-insensitive; Spec writes the canonical form. A spec is one line
// of UTF-8. Every form, by kind, as Grammar lists them (COMMAND is "*",
// or an IMAP command name, "UID FETCH" style, or several joined by "|"):
//
//	bye:COMMAND[=TEXT]                                                      bye:FETCH=Server shutting down
//	caps:-CAP | caps:+CAP                                                   caps:-STARTTLS
//	caps:refuse=AUTH=MECH                                                   caps:refuse=AUTH=PLAIN
//	cert:VARIANT                                                            cert:expired
//	delay:COMMAND=DURATION[,jitter=DURATION]                                delay:SELECT|EXAMINE=3s
//	delay:greeting=DURATION[,jitter=DURATION]                               delay:greeting=500ms
//	delay:tls=DURATION[,jitter=DURATION]                                    delay:tls=1s,jitter=100ms
//	drop:on-accept[,rst]                                                    drop:on-accept,rst
//	drop:after-greeting[,rst]                                               drop:after-greeting
//	drop:COMMAND[,rst]                                                      drop:FETCH
//	drop:COMMAND+BYTES[,rst]                                                drop:FETCH+120
//	drop:bytes=BYTES[,rst]                                                  drop:bytes=4096
//	expunge:COMMAND=MAILBOX[,PICK][,count=N][,after=DURATION]               expunge:IDLE=INBOX
//	flags:COMMAND=MAILBOX,+FLAG|-FLAG...[,PICK][,count=N][,after=DURATION]  flags:IDLE=INBOX,+\Seen
//	garbage:COMMAND=VARIANT                                                 garbage:FETCH=broken-fetch
//	greeting:VARIANT                                                        greeting:bye
//	greeting:text=TEXT                                                      greeting:text=* OK [CAPABILITY IMAP4rev1] Dovecot ready.
//	idle:drop=DURATION[,rst]                                                idle:drop=30s
//	newmail:COMMAND=MAILBOX[,count=N][,after=DURATION]                      newmail:IDLE=INBOX
//	rename:COMMAND=OLD>NEW                                                  rename:LOGIN|AUTHENTICATE=Sent>Sent Items
//	reply:COMMAND=NO|BAD [CODE] TEXT                                        reply:SELECT|EXAMINE=NO [NONEXISTENT] no such mailbox
//	rewrite:COMMAND=OLD>NEW                                                 rewrite:FETCH=RFC822.SIZE >RFC822.SIZE 9
//	starttls:stall|plaintext                                                starttls:stall
//	throttle:rate=BYTES_PER_SECOND[,chunk=N]                                throttle:rate=1024
//	throttle:chunk=N                                                        throttle:chunk=1
//	uidvalidity:COMMAND=MAILBOX                                             uidvalidity:SELECT|EXAMINE=INBOX
//
// with scope: delay:SELECT=2s;user=alice;nth=2;times=1. A user scope is
// refused for faults that fire before the client names a user. The
// VARIANTs are listed by Cert, Greeting and Garbage. A PICK is first (the
// default), last or all: the messages a state fault (state.go) acts on.
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
	k, err := lookup(name, fmt.Sprintf("%q", spec))
	if err != nil {
		return nil, err
	}
	f, scopeText, err := k.parse(spec, rest)
	if err != nil {
		return nil, err
	}
	if err := parseScope(spec, scopeText, f.Scope()); err != nil {
		return nil, err
	}
	if e := validate(f); e != nil {
		return nil, specError(spec, e.problem, e.hint)
	}
	return f, nil
}

// MustParse is Parse for specs fixed in code, such as a test's: it panics
// on a bad one, with Parse's message.
func MustParse(spec string) Fault {
	f, err := Parse(spec)
	if err != nil {
		panic(err)
	}
	return f
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
