package prober

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
)

// This file holds small scripted IMAP servers on loopback for the prober's
// own tests. They speak just enough IMAP for one probe and let each test
// replace the answer to any command.

// testPKI is one CA and a good loopback leaf, shared by the tests.
type testPKI struct {
	ca   *certs.Authority
	good tls.Certificate
}

var (
	pkiOnce sync.Once
	pki     testPKI
	pkiErr  error
)

func getPKI(t *testing.T) testPKI {
	t.Helper()
	pkiOnce.Do(func() {
		pki.ca, pkiErr = certs.NewAuthority("prober test CA")
		if pkiErr == nil {
			pki.good, pkiErr = pki.ca.Issue(certs.Leaf{})
		}
	})
	if pkiErr != nil {
		t.Fatal(pkiErr)
	}
	return pki
}

// conv is one server-side connection.
type conv struct {
	t    *testing.T
	conn net.Conn
	br   *bufio.Reader
	srv  *imapServer
}

func (c *conv) send(lines ...string) {
	for _, l := range lines {
		if _, err := io.WriteString(c.conn, l+"\r\n"); err != nil {
			return
		}
	}
}

// readCommand reads one client command, answering synchronizing literals.
func (c *conv) readCommand() (tag, cmd, args string, err error) {
	var sb strings.Builder
	for {
		line, err := c.br.ReadString('\n')
		if err != nil {
			return "", "", "", err
		}
		line = strings.TrimRight(line, "\r\n")
		sb.WriteString(line)
		n, ok := literalSize(line)
		if !ok {
			break
		}
		if !strings.HasSuffix(line, "+}") {
			c.send("+ go ahead")
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

// handler answers one command; returning false closes the connection.
type handler func(c *conv, tag, args string) bool

// imapServer is a scripted IMAP server. Zero fields take happy defaults.
type imapServer struct {
	Greeting   string // full first line; "" means "* OK ready"; "-" sends nothing
	Caps       string // default "IMAP4rev1 AUTH=PLAIN SASL-IR"
	Implicit   *tls.Config
	StartTLS   *tls.Config
	User, Pass string
	Token      string
	Mailboxes  []string // default INBOX, Sent, Trash
	Message    string   // newest message; default a small one
	Exists     int      // default 1
	Handlers   map[string]handler
	Raw        func(c net.Conn) // replaces everything: a raw script

	ln   net.Listener
	wg   sync.WaitGroup
	mu   sync.Mutex
	seen []string // commands received, upper-case
}

func (s *imapServer) start(t *testing.T) *imapServer {
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

func (s *imapServer) port() int { return s.ln.Addr().(*net.TCPAddr).Port }

func (s *imapServer) target(mode TLSMode) Target {
	return Target{Host: "127.0.0.1", Port: s.port(), TLS: mode, User: s.user(), Mailbox: "INBOX"}
}

func (s *imapServer) user() string {
	if s.User == "" {
		return "alice"
	}
	return s.User
}

func (s *imapServer) commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.seen...)
}

func (s *imapServer) serve(t *testing.T, conn net.Conn) {
	c := &conv{t: t, conn: conn, br: bufio.NewReader(conn), srv: s}
	switch s.Greeting {
	case "":
		c.send("* OK ready")
	case "-":
	default:
		c.send(s.Greeting)
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
			h = defaultHandlers[cmd]
		}
		if h == nil {
			c.send(tag + " BAD unknown command")
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

func (s *imapServer) caps() string {
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

var defaultHandlers = map[string]handler{
	"CAPABILITY": func(c *conv, tag, _ string) bool {
		caps := c.srv.caps()
		if c.srv.StartTLS != nil {
			if _, isTLS := c.conn.(*tls.Conn); !isTLS {
				caps += " STARTTLS"
			}
		}
		c.send("* CAPABILITY "+caps, tag+" OK done")
		return true
	},
	"STARTTLS": func(c *conv, tag, _ string) bool {
		c.send(tag + " OK begin TLS")
		return true
	},
	"LOGIN": func(c *conv, tag, args string) bool {
		// user SP password, each an atom, a quoted string or a literal
		user, pass := splitLogin(args)
		if user == c.srv.user() && pass == c.srv.Pass {
			c.send(tag + " OK [CAPABILITY IMAP4rev1 IDLE] logged in")
		} else {
			c.send(tag + " NO [AUTHENTICATIONFAILED] Authentication failed.")
		}
		return true
	},
	"AUTHENTICATE": func(c *conv, tag, args string) bool {
		mech, ir, hasIR := strings.Cut(args, " ")
		if !hasIR {
			c.send("+ ")
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
			ok = len(parts) == 3 && parts[1] == c.srv.user() && parts[2] == c.srv.Pass
		case "XOAUTH2", "OAUTHBEARER":
			ok = strings.Contains(string(raw), "auth=Bearer "+c.srv.Token+"\x01") && c.srv.Token != ""
			if !ok {
				c.send("+ " + base64.StdEncoding.EncodeToString([]byte(`{"status":"invalid_token","scope":"https://mail.example/imap"}`)))
				if _, err := c.br.ReadString('\n'); err != nil {
					return false
				}
			}
		}
		if ok {
			c.send(tag + " OK [CAPABILITY IMAP4rev1 IDLE] authenticated")
		} else {
			c.send(tag + " NO [AUTHENTICATIONFAILED] Authentication failed.")
		}
		return true
	},
	"LIST": func(c *conv, tag, _ string) bool {
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
			c.send(fmt.Sprintf(`* LIST (%s) "/" %q`, attr, b))
		}
		c.send(tag + " OK LIST done")
		return true
	},
	"EXAMINE": func(c *conv, tag, args string) bool { return selectReply(c, tag, args, "READ-ONLY") },
	"SELECT":  func(c *conv, tag, args string) bool { return selectReply(c, tag, args, "READ-WRITE") },
	"FETCH": func(c *conv, tag, args string) bool {
		msg := c.srv.message()
		seq, _, _ := strings.Cut(args, " ")
		c.send(fmt.Sprintf(`* %s FETCH (UID 7 FLAGS (\Seen) RFC822.SIZE %d ENVELOPE ("Mon, 7 Feb 1994 21:52:25 -0800" "hello" (("Bob" NIL "bob" "example.com")) NIL NIL NIL NIL NIL NIL "<1@example.com>") BODY[]<0> {%d}`, seq, len(msg), len(msg)))
		_, _ = io.WriteString(c.conn, msg)
		c.send(")", tag+" OK FETCH done")
		return true
	},
	"LOGOUT": func(c *conv, tag, _ string) bool {
		c.send("* BYE bye", tag+" OK LOGOUT done")
		return false
	},
}

func (s *imapServer) message() string {
	if s.Message == "" {
		return "From: bob@example.com\r\nSubject: hello\r\n\r\nHi Alice.\r\n"
	}
	return s.Message
}

func selectReply(c *conv, tag, args, mode string) bool {
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
		c.send(tag + " NO [NONEXISTENT] Mailbox doesn't exist: " + name)
		return true
	}
	exists := c.srv.Exists
	if exists == 0 {
		exists = 1
	}
	c.send(`* FLAGS (\Answered \Flagged \Deleted \Seen \Draft)`,
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
