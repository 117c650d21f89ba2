package fakeserver

import (
	"io"
	"strings"
	"time"

	"github.com/imapprobe/imapprobe/faults"
)

// readCommands is the client-to-backend direction: it frames commands,
// consults the command hook and forwards what the backend must see.
func (c *conn) readCommands() {
	for {
		line, ok := c.readClientLine()
		if !ok {
			return
		}
		c.mu.Lock()
		inCont, mech := c.contTag != "", c.saslMech
		c.saslMech = ""
		c.mu.Unlock()
		if inCont {
			// A SASL response or IDLE's DONE: forward, never record.
			if mech != "" {
				c.setUser(saslUser(mech, strings.TrimRight(string(line), "\r\n")))
			}
			if !c.forward(c.persona.saslReply(line)) {
				return
			}
			continue
		}
		if !c.command(line) {
			return
		}
	}
}

func (c *conn) readClientLine() ([]byte, bool) {
	_ = c.currentTransport().SetReadDeadline(time.Now().Add(c.srv.cfg.timeouts.Idle))
	line, err := readLine(c.br, maxClientLine)
	if err != nil {
		c.setClosedBy("client")
		return nil, false
	}
	return line, true
}

func (c *conn) command(line []byte) bool {
	tag, name, uid, rest := parseCommand(line)
	if tag == "" || name == "" {
		return c.forward(line) // let the backend answer BAD
	}
	c.rec.update(func(r *ConnRecord) {
		r.Commands = append(r.Commands, CommandRecord{Tag: tag, Name: name, UID: uid})
	})
	c.persona.sawCommand(name)
	cmd := faults.Command{Tag: tag, Name: name, UID: uid}
	var a faults.Action
	mech, ir := "", ""
	switch name {
	case "LOGIN":
		c.setUser(firstAString(rest))
	case "AUTHENTICATE":
		mech, ir, _ = strings.Cut(rest, " ")
		mech = strings.ToUpper(mech)
		c.setUser(saslUser(mech, ir))
	}
	if name == "AUTHENTICATE" {
		a = c.faults().OnAuthenticate(c.info(), cmd, mech)
	} else {
		a = c.faults().OnCommand(c.info(), cmd)
	}
	if !c.pre(a) {
		return false
	}
	if a.Reply != "" {
		if !c.write([]byte(tag + " " + a.Reply + "\r\n")) {
			return false
		}
		return c.skipLiterals(line) && !c.post(a)
	}
	if a.Silence || a.Endless || (a.Close != faults.CloseNone && a.CutAfter == 0) {
		c.post(a)
		return false
	}
	if name == "STARTTLS" && !c.isTLS.Load() && c.srv.plainMode == ModeStartTLS {
		return c.startTLS(tag, a.StartTLS)
	}
	// Faults act on what the persona says: its rewrite goes first.
	rewrite := faults.Merge(faults.Action{Rewrite: c.persona.rewrite(tag, name, mech, rest)}, a).Rewrite
	p := &pendingCmd{tag: tag, rewrite: rewrite, cutLeft: a.CutAfter, mode: a.Close}
	c.mu.Lock()
	c.pending = append(c.pending, p)
	if name == "AUTHENTICATE" || name == "IDLE" {
		c.contTag = tag
		if name == "AUTHENTICATE" && ir == "" {
			c.saslMech = mech
		}
	}
	c.mu.Unlock()
	if c.persona.viaNoop(name) {
		return c.skipLiterals(line) && c.forward([]byte(tag+" NOOP\r\n"))
	}
	return c.forwardCommand(line, name == "LOGIN" && firstAString(rest) == "")
}

// forwardCommand sends a command and its literals to the backend. With
// literalUser, the first literal is LOGIN's user name.
func (c *conn) forwardCommand(line []byte, literalUser bool) bool {
	for {
		if !c.forward(line) {
			return false
		}
		size, _ := literalSuffix(line)
		if size < 0 {
			return true
		}
		if size > maxLiteral {
			c.setClosedBy("fault")
			c.closeWith(faults.CloseFIN)
			return false
		}
		be := c.backend()
		if be == nil {
			return false
		}
		_ = c.currentTransport().SetReadDeadline(time.Now().Add(c.srv.cfg.timeouts.Idle))
		_ = be.conn.SetWriteDeadline(time.Now().Add(c.srv.cfg.timeouts.Idle))
		if literalUser {
			buf := make([]byte, size)
			if _, err := io.ReadFull(c.br, buf); err != nil {
				return false
			}
			c.setUser(string(buf))
			literalUser = false
			if _, err := be.conn.Write(buf); err != nil {
				return false
			}
		} else if _, err := io.CopyN(be.conn, c.br, size); err != nil {
			return false
		}
		var ok bool
		if line, ok = c.readClientLine(); !ok {
			return false
		}
	}
}

// skipLiterals consumes the non-synchronising literals of a command the
// backend does not see (a client waits for "+" before a synchronising one).
func (c *conn) skipLiterals(line []byte) bool {
	for {
		size, nonSync := literalSuffix(line)
		if size < 0 || !nonSync {
			return true
		}
		if _, err := io.CopyN(io.Discard, c.br, size); err != nil {
			return false
		}
		var ok bool
		if line, ok = c.readClientLine(); !ok {
			return false
		}
	}
}

func (c *conn) backend() *backendSession {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.be
}

func (c *conn) forward(p []byte) bool {
	be := c.backend()
	if be == nil {
		return false
	}
	_ = be.conn.SetWriteDeadline(time.Now().Add(c.srv.cfg.timeouts.Idle))
	_, err := be.conn.Write(p)
	return err == nil
}
