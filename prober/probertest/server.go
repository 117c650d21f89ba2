// Package probertest provides scripted IMAP servers on loopback for tests
// of the prober and the imapprobe command. They speak just enough IMAP for
// one probe, and a test can replace the Answer to any command.
package probertest

import (
	"bufio"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imapprobe/imapprobe/internal/certs"
	"github.com/imapprobe/imapprobe/internal/wiretap"
)

// TestPKI is one CA and a good loopback leaf, shared by the tests.
type TestPKI struct {
	CA   *certs.Authority
	Good tls.Certificate
}

var (
	pkiOnce sync.Once
	pki     TestPKI
	pkiErr  error
)

// PKI returns the shared test CA and a leaf for the loopback names.
func PKI(t *testing.T) TestPKI {
	t.Helper()
	pkiOnce.Do(func() {
		pki.CA, pkiErr = certs.NewAuthority("prober test CA")
		if pkiErr == nil {
			pki.Good, pkiErr = pki.CA.Issue(certs.Leaf{})
		}
	})
	if pkiErr != nil {
		t.Fatal(pkiErr)
	}
	return pki
}

// Conv is one server-side connection.
type Conv struct {
	t    *testing.T
	conn net.Conn
	br   *bufio.Reader
	srv  *Server
}

// ReadLine reads one line from the client, without its CRLF.
func (c *Conv) ReadLine() (string, error) {
	line, err := c.br.ReadString('\n')
	return strings.TrimRight(line, "\r\n"), err
}

// Writer gives raw access to the connection, for malformed output.
func (c *Conv) Writer() io.Writer { return c.conn }

// Send writes each line with CRLF.
func (c *Conv) Send(lines ...string) {
	// One write: lines a test sends together (a reply and bytes injected
	// after it) reach the client together, however loaded the machine.
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l + "\r\n")
	}
	_, _ = io.WriteString(c.conn, b.String())
}

// readCommand reads one client command, answering synchronizing literals.
func (c *Conv) readCommand() (tag, cmd, args string, err error) {
	var sb strings.Builder
	for {
		line, err := c.br.ReadString('\n')
		if err != nil {
			return "", "", "", err
		}
		line = strings.TrimRight(line, "\r\n")
		sb.WriteString(line)
		n, ok := wiretap.LiteralSize([]byte(line))
		if !ok || n < 0 {
			break
		}
		if !strings.HasSuffix(line, "+}") {
			c.Send("+ go ahead")
		}
		buf := make([]byte, n)
		if _, err := io.ReadFull(c.br, buf); err != nil {
			return "", "", "", err
		}
		sb.Write(buf)
	}
	full := sb.String()
	tag, rest, _ := strings.Cut(full, " ")
	cmd, args, _ = strings.Cut(rest, " ")
	return tag, strings.ToUpper(cmd), args, nil
}

// Handler answers one command; returning false closes the connection.
type Handler func(c *Conv, tag, args string) bool

// Server is a scripted IMAP server. Zero fields take happy defaults.
type Server struct {
	Greeting   string // full first line; "" means "* OK ready"; "-" sends nothing
	Caps       string // default "IMAP4rev1 AUTH=PLAIN SASL-IR"
	Implicit   *tls.Config
	StartTLS   *tls.Config
	User, Pass string
	Token      string
	Mailboxes  []string // default INBOX, Sent, Trash
	Message    string   // newest message; default a small one
	Exists     int      // default 1
	Handlers   map[string]Handler
	Raw        func(c net.Conn) // replaces everything: a raw script

	ln   net.Listener
	wg   sync.WaitGroup
	mu   sync.Mutex
	seen []string // commands received, upper-case
}

// Start listens on 127.0.0.1 and serves until the test ends.
func (s *Server) Start(t *testing.T) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.ln = ln
	if s.Implicit != nil {
		s.ln = tls.NewListener(ln, s.Implicit)
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			conn, err := s.ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer conn.Close()
				_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
				if s.Raw != nil {
					s.Raw(conn)
					return
				}
				s.serve(t, conn)
			}()
		}
	}()
	t.Cleanup(func() {
		_ = s.ln.Close()
		s.wg.Wait()
	})
	return s
}

// Port is the listening port.
func (s *Server) Port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// UserName is the accepted user (default alice).
func (s *Server) UserName() string {
	if s.User == "" {
		return "alice"
	}
	return s.User
}

// Commands lists the commands received so far, upper-case.
func (s *Server) Commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.seen...)
}

func (s *Server) serve(t *testing.T, conn net.Conn) {
	c := &Conv{t: t, conn: conn, br: bufio.NewReader(conn), srv: s}
	switch s.Greeting {
	case "":
		c.Send("* OK ready")
	case "-":
	default:
		c.Send(s.Greeting)
	}
	for {
		tag, cmd, args, err := c.readCommand()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.seen = append(s.seen, cmd)
		s.mu.Unlock()
		h := s.Handlers[cmd]
		if h == nil {
			h = DefaultHandlers[cmd]
		}
		if h == nil {
			c.Send(tag + " BAD unknown command")
			continue
		}
		if !h(c, tag, args) {
			return
		}
		if cmd == "STARTTLS" && s.StartTLS != nil && c.srv.Handlers["STARTTLS"] == nil {
			tc := tls.Server(conn, s.StartTLS)
			if tc.Handshake() != nil {
				return
			}
			c.conn, c.br = tc, bufio.NewReader(tc)
		}
	}
}

func (s *Server) caps() string {
	caps := s.Caps
	if caps == "" {
		caps = "IMAP4rev1 AUTH=PLAIN SASL-IR"
	}
	return caps
}

func unquote(s string) string {
	if u, err := strconv.Unquote(s); err == nil {
		return u
	}
	return s
}

// DefaultHandlers answer each command as a healthy server would.
var DefaultHandlers = map[string]Handler{
	"CAPABILITY": func(c *Conv, tag, _ string) bool {
		caps := c.srv.caps()
		if c.srv.StartTLS != nil {
			if _, isTLS := c.conn.(*tls.Conn); !isTLS {
				caps += " STARTTLS"
			}
		}
		c.Send("* CAPABILITY "+caps, tag+" OK done")
		return true
	},
	"STARTTLS": func(c *Conv, tag, _ string) bool {
		c.Send(tag + " OK begin TLS")
		return true
	},
	"LOGIN": func(c *Conv, tag, args string) bool {
		// user SP password, each an atom, a quoted string or a literal
		user, pass := splitLogin(args)
		if user == c.srv.UserName() && pass == c.srv.Pass {
			c.Send(tag + " OK [CAPABILITY IMAP4rev1 IDLE] logged in")
		} else {
			c.Send(tag + " NO [AUTHENTICATIONFAILED] Authentication failed.")
		}
		return true
	},
	"AUTHENTICATE": func(c *Conv, tag, args string) bool {
		mech, ir, hasIR := strings.Cut(args, " ")
		if !hasIR {
			c.Send("+ ")
			line, err := c.br.ReadString('\n')
			if err != nil {
				return false
			}
			ir = strings.TrimRight(line, "\r\n")
		}
		raw, _ := base64.StdEncoding.DecodeString(ir)
		ok := false
		switch strings.ToUpper(mech) {
		case "PLAIN":
			parts := strings.Split(string(raw), "\x00")
			ok = len(parts) == 3 && parts[1] == c.srv.UserName() && parts[2] == c.srv.Pass
		case "XOAUTH2", "OAUTHBEARER":
			ok = strings.Contains(string(raw), "auth=Bearer "+c.srv.Token+"\x01") && c.srv.Token != ""
			if !ok {
				c.Send("+ " + base64.StdEncoding.EncodeToString([]byte(`{"status":"invalid_token","scope":"https://mail.example/imap"}`)))
				if _, err := c.br.ReadString('\n'); err != nil {
					return false
				}
			}
		}
		if ok {
			c.Send(tag + " OK [CAPABILITY IMAP4rev1 IDLE] authenticated")
		} else {
			c.Send(tag + " NO [AUTHENTICATIONFAILED] Authentication failed.")
		}
		return true
	},
	"LIST": func(c *Conv, tag, _ string) bool {
		boxes := c.srv.Mailboxes
		if boxes == nil {
			boxes = []string{"INBOX", "Sent", "Trash"}
		}
		for _, b := range boxes {
			attr := ""
			switch b {
			case "Sent":
				attr = `\Sent`
			case "Trash":
				attr = `\Trash`
			}
			c.Send(fmt.Sprintf(`* LIST (%s) "/" %q`, attr, b))
		}
		c.Send(tag + " OK LIST done")
		return true
	},
	"EXAMINE": func(c *Conv, tag, args string) bool { return SelectReply(c, tag, args, "READ-ONLY") },
	"SELECT":  func(c *Conv, tag, args string) bool { return SelectReply(c, tag, args, "READ-WRITE") },
	"FETCH": func(c *Conv, tag, args string) bool {
		msg := c.srv.MessageText()
		seq, _, _ := strings.Cut(args, " ")
		c.Send(fmt.Sprintf(`* %s FETCH (UID 7 FLAGS (\Seen) RFC822.SIZE %d ENVELOPE ("Mon, 7 Feb 1994 21:52:25 -0800" "hello" (("Bob" NIL "bob" "example.com")) NIL NIL NIL NIL NIL NIL "<1@example.com>") BODY[]<0> {%d}`, seq, len(msg), len(msg)))
		_, _ = io.WriteString(c.conn, msg)
		c.Send(")", tag+" OK FETCH done")
		return true
	},
	"LOGOUT": func(c *Conv, tag, _ string) bool {
		c.Send("* BYE bye", tag+" OK LOGOUT done")
		return false
	},
}

// MessageText is the newest message served by FETCH.
func (s *Server) MessageText() string {
	if s.Message == "" {
		return "From: bob@example.com\r\nSubject: hello\r\n\r\nHi Alice.\r\n"
	}
	return s.Message
}

// SelectReply answers SELECT/EXAMINE with the given [READ-ONLY]/[READ-WRITE] mode.
func SelectReply(c *Conv, tag, args, mode string) bool {
	name := unquote(args)
	found := false
	boxes := c.srv.Mailboxes
	if boxes == nil {
		boxes = []string{"INBOX", "Sent", "Trash"}
	}
	for _, b := range boxes {
		found = found || b == name || strings.EqualFold(name, "INBOX") && b == "INBOX"
	}
	if !found {
		c.Send(tag + " NO [NONEXISTENT] Mailbox doesn't exist: " + name)
		return true
	}
	exists := c.srv.Exists
	if exists == 0 {
		exists = 1
	}
	c.Send(`* FLAGS (\Answered \Flagged \Deleted \Seen \Draft)`,
		fmt.Sprintf("* %d EXISTS", exists),
		"* OK [UIDVALIDITY 1700000000] UIDs valid",
		"* OK [UIDNEXT 8] next",
		tag+" OK ["+mode+"] done")
	return true
}

func splitLogin(args string) (user, pass string) {
	n := astringEnd(args)
	if n < 0 || n >= len(args) {
		return "", ""
	}
	return astringValue(args[:n]), astringValue(strings.TrimPrefix(args[n:], " "))
}

func astringEnd(s string) int {
	if strings.HasPrefix(s, `"`) {
		for i := 1; i < len(s); i++ {
			if s[i] == '\\' {
				i++
			} else if s[i] == '"' {
				return i + 1
			}
		}
		return -1
	}
	if strings.HasPrefix(s, "{") {
		end := strings.IndexByte(s, '}')
		n, _ := strconv.Atoi(strings.TrimSuffix(s[1:end], "+"))
		return end + 1 + n
	}
	if i := strings.IndexByte(s, ' '); i >= 0 {
		return i
	}
	return len(s)
}

func astringValue(s string) string {
	switch {
	case strings.HasPrefix(s, `"`):
		return strings.NewReplacer(`\"`, `"`, `\\`, `\`).Replace(s[1 : len(s)-1])
	case strings.HasPrefix(s, "{"):
		return s[strings.IndexByte(s, '}')+1:]
	}
	return s
}

// RawScript returns a Raw script that writes the given bytes, then waits for the
// client to leave (or closes at once when close is true).
func RawScript(data string, close bool) func(net.Conn) {
	return func(c net.Conn) {
		_, _ = io.WriteString(c, data)
		if !close {
			Silent(c)
		}
	}
}

// Answer returns a Handler that sends lines with TAG replaced by the tag.
func Answer(lines ...string) Handler {
	return func(c *Conv, tag, _ string) bool {
		out := make([]string, len(lines))
		for i, l := range lines {
			out[i] = strings.ReplaceAll(l, "TAG", tag)
		}
		c.Send(out...)
		return true
	}
}

// HangUp returns a Handler that sends lines, then closes the connection.
func HangUp(lines ...string) Handler {
	return func(c *Conv, tag, args string) bool {
		Answer(lines...)(c, tag, args)
		return false
	}
}

// Stall never answers.
func Stall(c *Conv, _, _ string) bool {
	_, _ = io.Copy(io.Discard, c.br)
	return false
}

// Silent accepts and says nothing until the client goes away.
func Silent(c net.Conn) { _, _ = io.Copy(io.Discard, c) }
