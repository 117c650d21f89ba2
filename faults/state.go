package faults

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// State faults change the mailboxes as another session of the same user
// would, while the client watches: UIDVALIDITY changes, messages expunged,
// new mail, flags changed elsewhere, a mailbox renamed, IDLE cut off. The
// fault says what and when (a command, as for the other kinds, and the
// scope's nth); the server makes the change in its own store, so the
// client hears of it the way a real server tells it (untagged EXPUNGE,
// EXISTS, FETCH FLAGS) or finds it at its next SELECT.
//
// A state fault's hook answers with Action.Changes. The mailbox is the
// connection's user's; a connection with no user yet changes nothing.

// A Change is one change of state the server must make. It is one of the
// Change* types of this package.
type Change interface{ isChange() }

// Which messages of a mailbox a change acts on.
const (
	// MessagesFirst is the lowest sequence numbers (the default).
	MessagesFirst = "first"
	// MessagesLast is the highest sequence numbers.
	MessagesLast = "last"
	// MessagesAll is every message.
	MessagesAll = "all"
)

// ChangeUIDValidity gives Mailbox a new UIDVALIDITY before the command is
// answered, keeping its messages (their UIDs renumbered from 1).
type ChangeUIDValidity struct{ Mailbox string }

// ChangeExpunge expunges Count messages of Mailbox (all for MessagesAll),
// After the command reached the server.
type ChangeExpunge struct {
	Mailbox, Messages string
	Count             int
	After             time.Duration
}

// ChangeAppend delivers Count new messages to Mailbox, After the command
// reached the server.
type ChangeAppend struct {
	Mailbox string
	Count   int
	After   time.Duration
}

// ChangeFlags adds Add to and removes Remove from the flags of Count
// messages of Mailbox (all for MessagesAll), After the command reached
// the server.
type ChangeFlags struct {
	Mailbox, Messages string
	Count             int
	Add, Remove       []string
	After             time.Duration
}

// ChangeRename renames mailbox From to To before the command is answered.
type ChangeRename struct{ From, To string }

// ChangeIdleDrop closes the connection with Close if it is still in the
// IDLE command After it began.
type ChangeIdleDrop struct {
	After time.Duration
	Close CloseMode
}

func (ChangeUIDValidity) isChange() {}
func (ChangeExpunge) isChange()     {}
func (ChangeAppend) isChange()      {}
func (ChangeFlags) isChange()       {}
func (ChangeRename) isChange()      {}
func (ChangeIdleDrop) isChange()    {}

// stateArgs are the parts of a "KIND:COMMAND=MAILBOX[,OPTION...]" spec.
type stateArgs struct {
	cmd, mailbox string
	opts         []string // the options between "," as written
	scope        string
}

// parseStateArgs reads "COMMAND=MAILBOX[,OPTION...]" and the scope
// options. A bare mailbox name runs to the first "," or ";"; a name that
// holds either, or starts with a double quote, is quoted.
func parseStateArgs(spec, rest, usage string) (stateArgs, error) {
	var a stateArgs
	cmd, value, err := cutTarget(spec, rest, usage)
	if err != nil {
		return a, err
	}
	a.cmd = cmd
	if strings.HasPrefix(value, `"`) {
		if a.mailbox, value, err = unquote(spec, value); err != nil {
			return a, err
		}
	} else {
		i := strings.IndexAny(value, ",;")
		if i < 0 {
			i = len(value)
		}
		a.mailbox, value = value[:i], value[i:]
	}
	opts := value
	if i := strings.IndexByte(value, ';'); i >= 0 {
		opts, a.scope = value[:i], value[i:]
	}
	if opts != "" {
		if opts[0] != ',' {
			return a, specError(spec, fmt.Sprintf("%q after the mailbox", opts), usage)
		}
		a.opts = strings.Split(opts[1:], ",")
	}
	return a, nil
}

// mailboxText is the spec form of a mailbox name: bare unless that would
// read back differently.
func mailboxText(name string) string {
	if strings.HasPrefix(name, `"`) || strings.ContainsAny(name, ",;") {
		return quote(name)
	}
	return name
}

// checkMailbox refuses an empty mailbox name or one with a line break.
func checkMailbox(field, name string) *fieldError {
	if name == "" {
		return &fieldError{field, "empty mailbox name", "name a mailbox, e.g. INBOX"}
	}
	return checkText(field, name)
}

// messageOpts are the options that pick messages and time a change:
// first|last|all, count=N, after=DURATION. Options a kind reads itself
// (flags' +FLAG) are left in rest.
type messageOpts struct {
	messages string
	count    int
	after    Duration
	rest     []string
}

// readMessageOpts reads the options of the message-changing kinds;
// picks says whether first/last/all are allowed, valid lists every
// option of the kind for the error.
func readMessageOpts(spec string, opts []string, picks bool, valid string) (messageOpts, error) {
	var m messageOpts
	for _, o := range opts {
		key, val, hasVal := strings.Cut(o, "=")
		switch k := asciiLower(key); {
		case picks && !hasVal && (k == MessagesFirst || k == MessagesLast || k == MessagesAll):
			m.messages = k
		case k == "count" && hasVal:
			n, err := strconv.Atoi(val)
			if err != nil || n < 1 {
				return m, specError(spec, fmt.Sprintf("bad count %q", val), "want a whole number of 1 or more, e.g. count=2")
			}
			m.count = n
		case k == "after" && hasVal:
			v, err := time.ParseDuration(val)
			if err != nil || v <= 0 {
				return m, specError(spec, fmt.Sprintf("bad duration %q", val), "use a positive Go duration such as 200ms or 2s")
			}
			m.after = Duration(v)
		case strings.HasPrefix(o, "+") || strings.HasPrefix(o, "-"):
			m.rest = append(m.rest, o)
		default:
			return m, specError(spec, fmt.Sprintf("unknown option %q", o), "valid: "+valid)
		}
	}
	return m, nil
}

// maxChangeCount bounds count: a fault changes a few messages, not a
// million.
const maxChangeCount = 10000

// checkMessages puts the message pick and count in canonical form:
// "first" and a count of 1 are the defaults and are left out.
func checkMessages(messages *string, count *int, picks bool) *fieldError {
	if picks {
		m, e := oneOf("messages", "message pick", orDefault(*messages, MessagesFirst),
			[]string{MessagesFirst, MessagesLast, MessagesAll})
		if e != nil {
			return e
		}
		*messages = m
		if m == MessagesFirst {
			*messages = ""
		}
	}
	switch {
	case *count < 0 || *count > maxChangeCount:
		return &fieldError{"count", fmt.Sprintf("bad count %d", *count), fmt.Sprintf("want 1 to %d", maxChangeCount)}
	case *messages == MessagesAll && *count != 0:
		return &fieldError{"count", "a count with all", "all takes every message; drop the count"}
	case *count == 1:
		*count = 0
	}
	return nil
}

// checkAfter bounds the delay of a change.
func checkAfter(after Duration) *fieldError {
	if v := time.Duration(after); v < 0 || v > maxDelay {
		return &fieldError{"after", fmt.Sprintf("bad after %s", v), fmt.Sprintf("want more than 0s and at most %s", maxDelay)}
	}
	return nil
}

// messageSuffix is the spec form of a pick, count and delay.
func messageSuffix(messages string, count int, after Duration) string {
	var b strings.Builder
	if messages != "" {
		b.WriteString("," + messages)
	}
	if count > 0 {
		b.WriteString(",count=" + strconv.Itoa(count))
	}
	if after > 0 {
		b.WriteString(",after=" + time.Duration(after).String())
	}
	return b.String()
}

// countOf is a canonical count as a number of messages.
func countOf(count int) int { return max(count, 1) }

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
