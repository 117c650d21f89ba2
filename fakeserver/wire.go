package fakeserver

import (
	"bufio"
	"bytes"
	"errors"
	"strings"

	"github.com/imapprobe/imapprobe/internal/wiretap"
)

// errLineTooLong ends a connection whose peer sends a line without end.
var errLineTooLong = errors.New("fakeserver: line too long")

// readLine reads one line including its LF, refusing lines over max bytes.
func readLine(br *bufio.Reader, max int) ([]byte, error) {
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
// or -1. It reads the announcement as the transcript does.
func literalSuffix(line []byte) (size int64, nonSync bool) {
	l := bytes.TrimRight(line, "\r\n")
	size, ok := wiretap.LiteralSize(l)
	if !ok || size < 0 {
		return -1, false
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
