package recording

import "strings"

// Exchange is one client command and what followed it, up to the next
// command: the server's lines and the client's continuation lines (an
// AUTHENTICATE response after a "+"), in order.
type Exchange struct {
	Tag, Name, Args string // Name upper-cased; "UID FETCH" for a UID command
	Command         Line
	Items           []Line
	Tagged          bool // the server's tagged response is among Items
}

// Session splits the lines into the greeting (the server's lines before
// the first command) and the exchanges. A "+" outside a command (the
// go-ahead for a literal in the command recorded next) is left out.
func (r *Recording) Session() (greeting []Line, exchanges []Exchange) {
	var cur *Exchange
	for _, l := range r.Lines {
		switch {
		case l.Dir == Server && strings.HasPrefix(l.Text, "+") && cur != nil && cur.Tagged:
			// the go-ahead for the next command's synchronising literal,
			// recorded before that command's line was complete: a replay
			// sends its own
		case l.Dir == Server && cur == nil:
			greeting = append(greeting, l)
		case l.Dir == Server:
			cur.Items = append(cur.Items, l)
			if strings.HasPrefix(l.Text, cur.Tag+" ") {
				cur.Tagged = true
			}
		case cur != nil && !cur.Tagged && lastIsContinuation(cur.Items):
			cur.Items = append(cur.Items, l)
		default:
			tag, name, args := SplitCommand(l.Text)
			exchanges = append(exchanges, Exchange{Tag: tag, Name: name, Args: args, Command: l})
			cur = &exchanges[len(exchanges)-1]
		}
	}
	return greeting, exchanges
}

// lastIsContinuation reports whether the server sent a "+" since the
// client's last line in the exchange: the client's next line answers it
// (an AUTHENTICATE response, or IDLE's DONE after untagged updates).
func lastIsContinuation(items []Line) bool {
	for i := len(items) - 1; i >= 0 && items[i].Dir == Server; i-- {
		if strings.HasPrefix(items[i].Text, "+") {
			return true
		}
	}
	return false
}

// SplitCommand splits a command line into its tag, its upper-cased name
// ("UID FETCH" for the UID forms) and the rest.
func SplitCommand(line string) (tag, name, args string) {
	tag, rest, _ := strings.Cut(line, " ")
	name, args, _ = strings.Cut(rest, " ")
	name = strings.ToUpper(name)
	if name == "UID" {
		var sub string
		sub, args, _ = strings.Cut(args, " ")
		name += " " + strings.ToUpper(sub)
	}
	return tag, name, args
}
