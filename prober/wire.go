package prober

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"

	"github.com/imapprobe/imapprobe/internal/redact"
	"github.com/imapprobe/imapprobe/internal/wiretap"
)

// newWire puts the transcript tap on conn, the current plaintext-IMAP
// layer; its line reader comes with the first line read (see reader).
func (p *probe) newWire(conn net.Conn) *wire {
	return &wire{tap: p.rec.Tap(conn, redact.Client)}
}

// readerSize is the hand-driven line reader's buffer. IMAP lines before
// login are short; a longer one is read in fragments (the tap bounds its
// length), and a fleet of probes in flight pays it once each.
const readerSize = 1024

// reader returns the line reader, made on first use: implicit TLS
// replaces the TCP wire before a line is read on it.
func (w *wire) reader() *bufio.Reader {
	if w.br == nil {
		w.br = bufio.NewReaderSize(w.tap, readerSize)
	}
	return w.br
}

// buffered is what the line reader holds beyond the lines read.
func (w *wire) buffered() int {
	if w.br == nil {
		return 0
	}
	return w.br.Buffered()
}

// readLine reads one server line (literal contents are skipped) without
// its CRLF. The tap bounds the line length.
func (w *wire) readLine() (string, error) {
	var sb strings.Builder
	br := w.reader()
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			if line != "" || sb.Len() > 0 {
				return "", &partialLineError{data: sb.String() + line, err: err}
			}
			return "", err
		}
		line = strings.TrimRight(line, "\r\n")
		sb.WriteString(line)
		n, ok := wiretap.LiteralSize([]byte(line))
		if !ok || n < 0 {
			return sb.String(), nil
		}
		if _, err := io.CopyN(io.Discard, br, n); err != nil {
			return "", err
		}
	}
}

// partialLineError is a read that failed after part of a line arrived.
type partialLineError struct {
	data string
	err  error
}

func (e *partialLineError) Error() string {
	return fmt.Sprintf("%v after %d bytes without a line end: %s", e.err, len(e.data), quote([]byte(e.data)))
}

func (e *partialLineError) Unwrap() error { return e.err }

// response is a tagged command's outcome on the hand-driven phase.
type response struct {
	untagged []string
	status   string // OK, NO, BAD
	text     string // the tagged line
}

const maxUntagged = 1000

// command sends one command (no arguments needing quoting) and collects the
// response. A transport or framing problem returns a code and detail.
func (p *probe) command(w *wire, step, cmd string) (*response, Code, string) {
	tag := w.nextTag()
	if err := w.write(tag + " " + cmd + "\r\n"); err != nil {
		code, detail := p.ioCode(w.tap, step, err)
		return nil, code, detail
	}
	name, _, _ := strings.Cut(cmd, " ")
	return p.finish(w, step, tag, name, "")
}

func (w *wire) nextTag() string {
	w.tagN++
	return "P" + strconv.Itoa(w.tagN)
}

// write sends client bytes on the hand-driven connection.
func (w *wire) write(s string) error {
	_, err := io.WriteString(w.tap, s)
	return err
}

// finish collects the response to the command tagged tag, starting with
// line if it is not "" (a line the caller already read).
func (p *probe) finish(w *wire, step, tag, cmd, line string) (*response, Code, string) {
	r := &response{}
	for {
		if line == "" {
			var err error
			if line, err = w.readLine(); err != nil {
				code, detail := p.ioCode(w.tap, step, err)
				return nil, code, detail
			}
		}
		switch {
		case strings.HasPrefix(line, "* "):
			if len(r.untagged) >= maxUntagged && !isUntagged(line, "BYE") {
				return nil, genericCode(step, "malformed"), fmt.Sprintf("more than %d untagged responses to %s", maxUntagged, cmd)
			}
			// a BYE ends the session: keep reading to report the close
			r.untagged = append(r.untagged, line)
		case strings.HasPrefix(line, tag+" "):
			r.text = line
			st, _, _ := strings.Cut(line[len(tag)+1:], " ")
			r.status = strings.ToUpper(st)
			switch r.status {
			case "OK", "NO", "BAD":
				return r, "", ""
			}
			return nil, genericCode(step, "malformed"), "tagged response without OK/NO/BAD: " + quote([]byte(line))
		default:
			return nil, genericCode(step, "malformed"), fmt.Sprintf("unexpected response to %s: %s", cmd, quote([]byte(line)))
		}
		line = ""
	}
}

// isUntagged reports whether line is "* KIND ..." (case-insensitive).
func isUntagged(line, kind string) bool {
	rest, ok := strings.CutPrefix(line, "* ")
	if !ok || len(rest) < len(kind) {
		return false
	}
	return strings.EqualFold(rest[:len(kind)], kind) && (len(rest) == len(kind) || rest[len(kind)] == ' ')
}

// quote returns b escaped and shortened, as evidence in a diagnosis.
func quote(b []byte) string {
	return `"` + wiretap.Escape(string(b), 120) + `"`
}

// cut shortens s to at most n bytes on a UTF-8 boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xc0 == 0x80 {
		n--
	}
	return s[:n] + fmt.Sprintf("…(+%d bytes)", len(s)-n)
}
