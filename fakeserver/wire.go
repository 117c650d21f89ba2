package fakeserver

import (
	"bufio"
	"bytes"
	"errors"
	"math"
	"strings"
	"sync"

	"github.com/imapprobe/imapprobe/internal/wiretap"
)

// errLineTooLong ends a connection whose peer sends a line without end.
var errLineTooLong = errors.New("fakeserver: line too long")

// sliceReader is what readLine reads from: the client's clientReader, or a
// bufio.Reader on an upstream server.
type sliceReader interface {
	ReadSlice(delim byte) ([]byte, error)
}

// readLine reads one line including its LF, refusing lines over max bytes.
func readLine(br sliceReader, max int) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > max {
			return nil, errLineTooLong
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return line, nil
	}
}

// literalSuffix reports the size of the literal a line (with its CRLF)
// announces at its end ("{12}", "~{12}" or the non-synchronising "{12+}"),
// or -1. It reads the announcement as the transcript does. A size too
// large to represent is reported as math.MaxInt64, so that size checks
// refuse it instead of taking the line for one without a literal.
func literalSuffix(line []byte) (size int64, nonSync bool) {
	l := bytes.TrimRight(line, "\r\n")
	size, ok := wiretap.LiteralSize(l)
	if !ok {
		return -1, false
	}
	if size < 0 {
		size = math.MaxInt64
	}
	return size, bytes.HasSuffix(l, []byte("+}"))
}

// parseCommand splits the first line of a client command into tag, name
// (upper-case; "UID FETCH" gives "FETCH" with uid) and the rest.
func parseCommand(line []byte) (tag, name string, uid bool, rest string) {
	s := strings.TrimRight(string(line), "\r\n")
	tag, s, _ = strings.Cut(s, " ")
	name, rest, _ = strings.Cut(s, " ")
	name = strings.ToUpper(name)
	if name == "UID" {
		uid = true
		name, rest, _ = strings.Cut(rest, " ")
		name = strings.ToUpper(name)
	}
	return tag, name, uid, rest
}

// firstAString returns the first IMAP astring of s when it is an atom or a
// quoted string (a literal is not in s, and gives "").
func firstAString(s string) string {
	if strings.HasPrefix(s, "\"") {
		var b strings.Builder
		for i := 1; i < len(s); i++ {
			switch s[i] {
			case '\\':
				if i+1 < len(s) {
					i++
					b.WriteByte(s[i])
				}
			case '"':
				return b.String()
			default:
				b.WriteByte(s[i])
			}
		}
		return ""
	}
	if strings.HasPrefix(s, "{") {
		return ""
	}
	atom, _, _ := strings.Cut(s, " ")
	return atom
}

// rewriteCaps passes every capability list in a server line through f:
// "* CAPABILITY a b" and "[CAPABILITY a b]" response codes.
func rewriteCaps(line []byte, f func([]string) []string) []byte {
	const untagged = "* CAPABILITY "
	if bytes.HasPrefix(line, []byte(untagged)) {
		body := bytes.TrimRight(line[len(untagged):], "\r\n")
		ending := line[len(untagged)+len(body):]
		out := append([]byte(untagged), joinCaps(f(strings.Fields(string(body))))...)
		return append(out, ending...)
	}
	const code = "[CAPABILITY "
	i := bytes.Index(line, []byte(code))
	if i < 0 {
		return line
	}
	end := bytes.IndexByte(line[i:], ']')
	if end < 0 {
		return line
	}
	caps := f(strings.Fields(string(line[i+len(code) : i+end])))
	out := append([]byte{}, line[:i+len(code)]...)
	out = append(out, joinCaps(caps)...)
	return append(out, line[i+end:]...)
}

func joinCaps(caps []string) []byte { return []byte(strings.Join(caps, " ")) }

// isTagged reports whether a server line is the tagged completion for tag.
func isTagged(line []byte, tag string) bool {
	return tag != "" && len(line) > len(tag) && string(line[:len(tag)]) == tag && line[len(tag)] == ' '
}

// maxRecordedTag bounds a tag kept in a record: a longer "tag" is more
// likely a secret the client sent out of turn.
const maxRecordedTag = 32

// validTag reports whether s is an IMAP tag (RFC 9051: ASTRING-CHARs but
// "+") short enough to record.
func validTag(s string) bool {
	if s == "" || len(s) > maxRecordedTag {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAStringChar(s[i]) || s[i] == '+' {
			return false
		}
	}
	return true
}

// isAStringChar: printable ASCII but the atom-specials ( ) { SP % * " \
// (RFC 9051 ASTRING-CHAR, which allows "]").
func isAStringChar(b byte) bool {
	if b <= ' ' || b >= 0x7f {
		return false
	}
	return !strings.ContainsRune(`(){%*"\`, rune(b))
}

// knownCommands are the command names a record keeps: IMAP4rev1,
// IMAP4rev2 and common extensions. Any other "name" may be part of a
// secret sent out of turn, so it is recorded as unknownCommand.
var knownCommands = sync.OnceValue(func() map[string]bool {
	known := map[string]bool{}
	for _, n := range strings.Fields(`APPEND AUTHENTICATE CAPABILITY CHECK CLOSE COMPRESS COPY CREATE DELETE
		ENABLE EXAMINE EXPUNGE FETCH GETACL GETMETADATA GETQUOTA GETQUOTAROOT ID IDLE LIST LISTRIGHTS
		LOGIN LOGOUT LSUB MOVE MYRIGHTS NAMESPACE NOOP RENAME REPLACE SEARCH SELECT SETACL SETMETADATA
		SETQUOTA SORT STARTTLS STATUS STORE SUBSCRIBE THREAD UNAUTHENTICATE UNSELECT UNSUBSCRIBE XLIST`) {
		known[n] = true
	}
	return known
})

// unknownCommand is the name recorded for a line that is not a known
// command; its tag is dropped too.
const unknownCommand = "?"

// cutAString reads the IMAP astring at the start of s when it is an atom
// or a quoted string, and returns its value and the text after it. ok is
// false for anything else: a literal, an empty atom, or bytes (a tab, a
// control) that no astring holds.
func cutAString(s string) (val, rest string, ok bool) {
	if strings.HasPrefix(s, `"`) {
		var b strings.Builder
		for i := 1; i < len(s); i++ {
			switch c := s[i]; {
			case c == '\\' && i+1 < len(s) && (s[i+1] == '\\' || s[i+1] == '"'):
				i++
				b.WriteByte(s[i])
			case c == '"':
				return b.String(), s[i+1:], true
			case c == '\\' || c == '\r' || c == '\n' || c == 0:
				return "", "", false
			default:
				b.WriteByte(c)
			}
		}
		return "", "", false
	}
	i := 0
	for i < len(s) && isAStringChar(s[i]) {
		i++
	}
	if i == 0 {
		return "", "", false
	}
	return s[:i], s[i:], true
}

// loginUser returns the user a LOGIN command's arguments name, when the
// first is an atom or quoted string and a second argument follows after
// one space. With one argument only, that argument may well be the
// password, and "" is returned. literal says the user is a literal, to
// be judged once the line after it shows whether a password follows.
func loginUser(args string) (user string, literal bool) {
	if strings.HasPrefix(args, "{") {
		return "", true
	}
	user, rest, ok := cutAString(args)
	if !ok || !strings.HasPrefix(rest, " ") || !hasArgument(rest[1:]) {
		return "", false
	}
	return user, false
}

// hasArgument reports whether s starts an IMAP argument (an atom, a
// quoted string or a literal), not white space or the line's end.
func hasArgument(s string) bool {
	return s != "" && (s[0] == '"' || s[0] == '{' || s[0] == '~' || isAStringChar(s[0]))
}
