package recording

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Wire returns the bytes a line's text stands for, without the line end:
// the escapes \r, \n, \t, \xHH and \uHHHH become the characters they name
// (any other backslash is itself, as in \Seen), and a literal's "[N
// bytes]" placeholder becomes N filler bytes, so that the literal is as
// long as announced, and so does the "…(+N bytes)" that ends a line the
// transcript shortened: the line is as long as it was. A backslash that the server really sent before r, n,
// t, x or u is therefore read as an escape: the transcript does not tell
// the two apart.
func Wire(text string) []byte {
	var b bytes.Buffer
	text, cutN := cutMarker(text)

	for i := 0; i < len(text); {
		c := text[i]
		if c != '\\' || i+1 == len(text) {
			b.WriteByte(c)
			i++
			continue
		}
		switch text[i+1] {
		case 'r':
			b.WriteByte('\r')
			i += 2
		case 'n':
			b.WriteByte('\n')
			i += 2
			if n, ok := placeholder(b.Bytes(), text[i:]); ok {
				b.Write(filler(n))
				i += len("[" + strconv.Itoa(n) + " bytes]")
			}
		case 't':
			b.WriteByte('\t')
			i += 2
		case 'x':
			if v, err := strconv.ParseUint(safe(text, i+2, 2), 16, 8); err == nil {
				b.WriteByte(byte(v))
				i += 4
				continue
			}
			b.WriteByte(c)
			i++
		case 'u':
			if v, err := strconv.ParseUint(safe(text, i+2, 4), 16, 32); err == nil && utf8.ValidRune(rune(v)) {
				b.WriteRune(rune(v))
				i += 6
				continue
			}
			b.WriteByte(c)
			i++
		default:
			b.WriteByte(c)
			i++
		}
	}
	b.Write(bytes.Repeat([]byte("x"), cutN))
	return b.Bytes()
}

// cutMarker splits off the "…(+N bytes)" that ends a line the transcript
// shortened, and returns N.
func cutMarker(text string) (string, int) {
	head, ok := strings.CutSuffix(text, " bytes)")
	if !ok {
		return text, 0
	}
	i := strings.LastIndex(head, "…(+")
	if i < 0 {
		return text, 0
	}
	n, err := strconv.Atoi(head[i+len("…(+"):])
	if err != nil || n < 0 || n > MaxSize {
		return text, 0
	}
	return head[:i], n
}

func safe(s string, i, n int) string {
	if i+n > len(s) {
		return ""
	}
	return s[i : i+n]
}

// placeholder reports whether out ends in a literal announcement "{N}\r\n"
// and rest starts with the transcript's "[N bytes]" for the same N.
func placeholder(out []byte, rest string) (int, bool) {
	head, ok := bytes.CutSuffix(out, []byte("\r\n"))
	if !ok {
		return 0, false
	}
	open := bytes.LastIndexByte(head, '{')
	if open < 0 || !bytes.HasSuffix(head, []byte("}")) {
		return 0, false
	}
	digits := strings.TrimRight(string(head[open+1:len(head)-1]), "+-")
	n, err := strconv.Atoi(digits)
	if err != nil || n < 0 || n > MaxSize {
		return 0, false
	}
	return n, strings.HasPrefix(rest, "["+digits+" bytes]")
}

// fillerHeader starts a filler long enough to hold it, so that a client
// that stores what it fetched (mbsync skips a message without a header)
// finds a message.
const fillerHeader = "X-Imapprobe-Replay: filler\r\n\r\n"

// filler is n bytes of message-like text: a header (when n has room for
// it), then lines of x, CRLF-ended.
func filler(n int) []byte {
	b := bytes.Repeat([]byte("x"), n)
	start := 0
	if n >= len(fillerHeader)+2 {
		start = copy(b, fillerHeader)
	}
	for i := start + 76; i+1 < n; i += 78 {
		b[i], b[i+1] = '\r', '\n'
	}
	return b
}
