package replay

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/imapprobe/imapprobe/internal/wiretap"
	"github.com/imapprobe/imapprobe/recording"
)

const (
	maxLine    = 64 << 10
	maxLiteral = 1 << 20
	handshake  = 10 * time.Second
)

// session is one client connection's walk through the recording.
type session struct {
	s      *Server
	id     int
	raw    net.Conn // TCP
	conn   net.Conn // raw, or TLS over it
	br     *bufio.Reader
	cursor int // the next exchange a command may match
}

func (s *Server) serve(id int, nc net.Conn) {
	defer nc.Close()
	ss := &session{s: s, id: id, raw: nc, conn: nc}
	s.cfg.logf("replay: conn %d from %s", id, nc.RemoteAddr())
	closes := s.rec.End == recording.EndServer || s.rec.End == recording.EndReset
	if len(s.greeting) == 0 && closes {
		ss.end("before the greeting")
		return
	}
	prev := s.rec.Connected
	if s.rec.TLS == "implicit" {
		// the handshake took until the first TLS summary
		if len(s.rec.Infos) > 0 && s.rec.Infos[0].At > prev {
			ss.sleep(s.rec.Infos[0].At - prev)
			prev = s.rec.Infos[0].At
		}
		if !ss.startTLS() {
			return
		}
	}
	ss.br = bufio.NewReaderSize(ss.conn, 4096)
	for _, l := range s.greeting {
		if !ss.send(l, "", "", &prev) {
			return
		}
	}
	switch {
	case len(s.greeting) == 0: // the server was silent
		ss.drain()
		return
	case len(s.exchanges) == 0 && closes:
		ss.end("after the greeting")
		return
	}
	for {
		if !ss.command() {
			return
		}
	}
}

func (ss *session) startTLS() bool {
	tc := tls.Server(ss.conn, ss.s.tlsConf)
	_ = tc.SetDeadline(time.Now().Add(handshake))
	if err := tc.Handshake(); err != nil {
		ss.s.cfg.logf("replay: conn %d: TLS handshake: %v", ss.id, err)
		return false
	}
	_ = tc.SetDeadline(time.Time{})
	ss.conn = tc
	ss.br = bufio.NewReaderSize(tc, 4096)
	return true
}

// end closes the connection as the recording ends, with a reset if it
// says so.
func (ss *session) end(when string) {
	if tc, ok := ss.raw.(*net.TCPConn); ok && ss.s.rec.End == recording.EndReset {
		_ = tc.SetLinger(0)
	}
	ss.s.cfg.logf("replay: conn %d: closed as recorded, %s", ss.id, when)
	ss.raw.Close()
}

func (ss *session) sleep(d time.Duration) {
	if ss.s.cfg.timing && d > 0 {
		time.Sleep(min(d, MaxDelay))
	}
}

// drain waits for the client to give up, as a silent server makes it.
func (ss *session) drain() {
	_ = ss.conn.SetReadDeadline(time.Now().Add(ss.s.cfg.idle))
	_, _ = io.Copy(io.Discard, io.LimitReader(ss.conn, maxLiteral))
}

// command reads one client command and replays the recorded answer;
// false ends the connection.
func (ss *session) command() bool {
	line, err := ss.readCommand()
	if err != nil {
		return false
	}
	tag, name, args := recording.SplitCommand(line)
	idx := ss.find(name, args)
	if idx < 0 {
		ss.s.cfg.logf("replay: conn %d: no recorded response for %s", ss.id, wiretap.Escape(name, 40))
		return ss.write(fmt.Sprintf("%s BAD [replay] no recorded response for %s\r\n", tag, name))
	}
	ex := ss.s.exchanges[idx]
	ss.cursor = idx + 1
	if ss.s.cfg.recordedUser {
		if u, ok := loginUser(name, args); ok && u != ss.s.rec.User {
			ss.s.cfg.logf("replay: conn %d: %s as another user than the recorded one: refused", ss.id, name)
			return ss.write(tag + " NO [AUTHENTICATIONFAILED] [replay] only the recorded user may log in\r\n")
		}
	}
	prev := ex.Command.At
	for _, it := range ex.Items {
		if it.Dir == recording.Client {
			// a continuation (AUTHENTICATE): read and forget it
			if _, err := ss.readLine(); err != nil {
				return false
			}
			prev = it.At
			continue
		}
		if !ss.send(it, ex.Tag, tag, &prev) {
			return false
		}
		if it.Partial {
			break
		}
	}
	last := idx == len(ss.s.exchanges)-1
	switch {
	case last && (ss.s.rec.End == recording.EndServer || ss.s.rec.End == recording.EndReset),
		name == "LOGOUT" && okTagged(ex):
		ss.end("after " + name)
		return false
	case name == "STARTTLS" && ex.Tagged && okTagged(ex):
		return ss.startTLS()
	}
	return true
}

func okTagged(ex recording.Exchange) bool {
	for _, it := range ex.Items {
		if it.Dir == recording.Server && strings.HasPrefix(it.Text, ex.Tag+" ") {
			st, _, _ := strings.Cut(it.Text[len(ex.Tag)+1:], " ")
			return strings.EqualFold(st, "OK")
		}
	}
	return false
}

// find returns the first exchange from the cursor on with the same
// command name and arguments, else the same name; -1 if none.
func (ss *session) find(name, args string) int {
	byName := -1
	for i := ss.cursor; i < len(ss.s.exchanges); i++ {
		ex := ss.s.exchanges[i]
		if ex.Name != name {
			continue
		}
		if ex.Args == args {
			return i
		}
		if byName < 0 {
			byName = i
		}
	}
	return byName
}

// send writes one recorded server line, retagged, after its recorded delay.
func (ss *session) send(l recording.Line, recTag, tag string, prev *time.Duration) bool {
	ss.sleep(l.At - *prev)
	*prev = max(*prev, l.At)
	b := recording.Wire(l.Text)
	if recTag != "" && strings.HasPrefix(l.Text, recTag+" ") {
		b = append([]byte(tag), b[len(recTag):]...)
	}
	if !l.Partial {
		b = append(b, '\r', '\n')
	}
	return ss.write(string(b))
}

func (ss *session) write(s string) bool {
	_ = ss.conn.SetWriteDeadline(time.Now().Add(ss.s.cfg.idle))
	_, err := io.WriteString(ss.conn, s)
	return err == nil
}

// readCommand reads a command line with its literals (answering "+" to a
// synchronising one) and returns the text without literal contents.
func (ss *session) readCommand() (string, error) {
	var sb strings.Builder
	for {
		line, err := ss.readLine()
		if err != nil {
			return "", err
		}
		sb.WriteString(line)
		n, ok := wiretap.LiteralSize([]byte(line))
		if !ok {
			return sb.String(), nil
		}
		if n < 0 || n > maxLiteral {
			return "", errors.New("literal too large")
		}
		if !strings.HasSuffix(line, "+}") && !ss.write("+ Ready for literal data\r\n") {
			return "", io.ErrClosedPipe
		}
		if _, err := io.CopyN(io.Discard, ss.br, n); err != nil {
			return "", err
		}
		sb.WriteString(" [" + strconv.FormatInt(n, 10) + " bytes]")
	}
}

// readLine reads one line without its CRLF, bounded in size and time.
func (ss *session) readLine() (string, error) {
	_ = ss.conn.SetReadDeadline(time.Now().Add(ss.s.cfg.idle))
	var sb strings.Builder
	for {
		frag, err := ss.br.ReadSlice('\n')
		sb.Write(frag)
		if sb.Len() > maxLine {
			return "", errors.New("line too long")
		}
		if err == nil {
			return strings.TrimRight(sb.String(), "\r\n"), nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return "", err
		}
	}
}
