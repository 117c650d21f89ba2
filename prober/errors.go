package prober

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/imapprobe/imapprobe/internal/wiretap"
)

// byeAlert returns the text of a "* BYE [ALERT] text" line.
func byeAlert(bye string) (string, bool) {
	rest, ok := strings.CutPrefix(bye, "* ")
	if !ok || len(rest) < 4 {
		return "", false
	}
	rest = strings.TrimSpace(rest[3:])
	if len(rest) < 7 || !strings.EqualFold(rest[:7], "[ALERT]") {
		return "", false
	}
	return wiretap.Escape(strings.TrimSpace(rest[7:]), 200), true
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) ||
		(errors.As(err, &ne) && ne.Timeout())
}

// ioCode classifies a transport error met during step s on tap.
func (p *probe) ioCode(tap *wiretap.Conn, step string, err error) (code Code, detail string) {
	var lerr *wiretap.LimitError
	switch {
	case errors.As(err, &lerr):
		return genericCode(step, "malformed"), lerr.Error()
	case isTimeout(err) || !time.Now().Before(p.deadline) || p.ctx.Err() != nil:
		detail := "no complete answer within " + p.waitLimit()
		if part, ok := tap.Pending(); ok && part != "" {
			detail += "; partial line received: " + part
		}
		if left := tap.LiteralLeft(); left > 0 {
			detail += fmt.Sprintf("; %d bytes of a literal were still expected: the server may have sent less than it announced", left)
		}
		return genericCode(step, "timeout"), detail
	case isClosed(err):
		detail := "connection closed by the server: " + err.Error()
		if bye := p.lastBye(); bye != "" {
			detail = "server said: " + bye
		}
		return genericCode(step, "dropped"), detail
	}
	return genericCode(step, "malformed"), err.Error()
}

// isClosed reports whether err means the peer closed or reset the connection.
func isClosed(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.EPIPE)
}

// lastBye returns the most recent BYE line of the transcript, if any.
func (p *probe) lastBye() string {
	lines := p.rec.Lines(0)
	for i := len(lines) - 1; i >= 0; i-- {
		if lines[i].Dir == wiretap.Server && isUntagged(lines[i].Text, "BYE") {
			return lines[i].Text
		}
	}
	return ""
}

// cmdErr classifies an imapclient error, read from feed, that is not a
// NO/BAD the step handles itself.
func (p *probe) cmdErr(feed *clientConn, step string, err error) (code Code, detail string) {
	if rerr := feed.err(); rerr != nil {
		return p.ioCode(feed.tap, step, rerr)
	}
	if !time.Now().Before(p.deadline) || p.ctx.Err() != nil {
		return p.ioCode(feed.tap, step, errTimeout)
	}
	var ie *imap.Error
	if errors.As(err, &ie) {
		if ie.Type == imap.StatusResponseTypeBye {
			return genericCode(step, "dropped"), serverSaid(ie)
		}
		return genericCode(step, "bad"), serverSaid(ie)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
		return p.ioCode(feed.tap, step, io.ErrUnexpectedEOF)
	}
	detail = err.Error()
	if last := p.rec.Last(wiretap.Server); last != "" {
		detail += "; last server line: " + quote([]byte(last))
	}
	return genericCode(step, "malformed"), detail
}

var errTimeout = fmt.Errorf("deadline passed: %w", deadlineErr{})

type deadlineErr struct{}

func (deadlineErr) Error() string { return "i/o timeout" }

func (deadlineErr) Timeout() bool { return true }

func (deadlineErr) Temporary() bool { return true }

// serverSaid quotes a status response as a diagnosis detail.
func serverSaid(e *imap.Error) string {
	s := string(e.Type)
	if e.Code != "" {
		s += " [" + string(e.Code) + "]"
	}
	return "server said: " + quote([]byte(s+" "+e.Text))
}

// failCommand reports a failed imapclient command: a NO as noCode when one
// is given, anything else as cmdErr classifies it.
func (p *probe) failCommand(s *Step, c clientState, step string, noCode Code, err error) bool {
	var ie *imap.Error
	if noCode != "" && errors.As(err, &ie) && ie.Type == imap.StatusResponseTypeNo {
		return p.fail(s, noCode, serverSaid(ie))
	}
	code, detail := p.cmdErr(c.feed, step, err)
	return p.fail(s, code, detail)
}

func containsAny(s string, words ...string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}
