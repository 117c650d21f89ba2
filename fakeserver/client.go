package fakeserver

import (
	"bytes"
	"errors"
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
				c.setUser(c.saslUser(mech, strings.TrimRight(string(line), "\r\n")))
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

// readClientLine reads the next line; none once the connection is closed,
// so that bytes buffered before the close add nothing to its record.
func (c *conn) readClientLine() ([]byte, bool) {
	line, err := c.fr.line()
	if err != nil {
		c.setClosedBy(ClosedByClient)
		return nil, false
	}
	select {
	case <-c.closed:
		return nil, false
	default:
	}
	return line, true
}

// record adds a command to the connection's record. A line that is not a
// known command, or whose tag is not a tag, may be a secret the client
// sent out of turn (a password, a SASL response): its words are not kept.
// A known command keeps its arguments, redacted (recordargs.go).
func (c *conn) record(tag, name string, uid bool, rest string, line []byte) {
	cr := CommandRecord{Tag: tag, Name: name, UID: uid}
	if knownCommands()[name] {
		cr.Args = c.recordedArgs(name, rest, line)
	}
	switch {
	case !knownCommands()[name]:
		cr = CommandRecord{Name: unknownCommand}
	case !validTag(tag):
		cr.Tag = ""
	}
	c.rec.update(func(r *ConnRecord) { r.Commands = append(r.Commands, cr) })
}

func (c *conn) command(line []byte) bool {
	tag, name, uid, rest := parseCommand(line)
	c.record(tag, name, uid, rest, line)
	if tag == "" || name == "" {
		return c.forwardCommand(line, false) // let the backend answer BAD
	}
	c.persona.sawCommand(name)
	cmd := faults.Command{Tag: tag, Name: name, UID: uid}
	var a faults.Action
	mech, ir := "", ""
	literalUser := false
	switch name {
	case "LOGIN":
		var user string
		user, literalUser = loginUser(rest)
		c.setUser(user)
	case "AUTHENTICATE":
		mech, ir, _ = strings.Cut(rest, " ")
		mech = strings.ToUpper(mech)
		c.setUser(c.saslUser(mech, ir))
	}
	if name == "AUTHENTICATE" {
		a = c.faults().OnAuthenticate(c.info(), cmd, mech)
	} else {
		a = c.faults().OnCommand(c.info(), cmd)
	}
	// The front's refusals, and caps:refuse's, are in Dovecot's words,
	// which the persona rewords as its server says them.
	if a.Reply == "" {
		a.Reply = c.persona.refusal(c.capsRefusal(name, uid, mech, ir, line))
	} else if name == "AUTHENTICATE" && a.Reply == faults.RefuseReply {
		a.Reply = c.persona.refusal(a.Reply)
	}
	if !c.pre(a) {
		return false
	}
	c.changeState(tag, a.Changes) // state.go: before the backend sees the command
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
	return c.forwardCommand(line, literalUser)
}

// maxUserLiteral bounds a LOGIN user literal read whole for the record; a
// larger one is forwarded without being recorded.
const maxUserLiteral = 1 << 10

// errStopped ends framing when the backend went away; the connection is
// ending already.
var errStopped = errors.New("fakeserver: backend gone")

// forwardCommand sends a command and its literals to the backend. With
// literalUser, the first literal is LOGIN's user name: it is recorded
// once the line after it shows a password follows, so that a lone
// literal (the password itself) is not taken for the user.
func (c *conn) forwardCommand(line []byte, literalUser bool) bool {
	user, judge := "", false
	onLine := func(l []byte, size int64, _ bool) (bool, error) {
		if size > c.fr.maxLiteral {
			return false, errLiteralTooLarge // before the backend sees the line
		}
		if judge {
			judge = false
			if rest := string(l); strings.HasPrefix(rest, " ") && hasArgument(rest[1:]) {
				c.setUser(user)
			}
		}
		if !c.forward(l) {
			return false, errStopped
		}
		return true, nil
	}
	onLiteral := func(r io.Reader, size int64) error {
		be := c.backend()
		if be == nil {
			return errStopped
		}
		_ = be.conn.SetWriteDeadline(time.Now().Add(c.srv.cfg.timeouts.Idle))
		if literalUser && size <= maxUserLiteral {
			buf, err := io.ReadAll(r)
			if err != nil {
				return err
			}
			user, judge = string(buf), true
			r = bytes.NewReader(buf)
		}
		literalUser = false
		_, err := io.Copy(be.conn, r)
		return err
	}
	err := c.fr.command(line, onLine, onLiteral)
	if errors.Is(err, errLiteralTooLarge) {
		c.closeFor(ClosedByFault, faults.CloseFIN)
	}
	return err == nil
}

// skipLiterals consumes the non-synchronising literals of a command the
// backend does not see (a client waits for "+" before a synchronising one).
func (c *conn) skipLiterals(line []byte) bool {
	followNonSync := func(_ []byte, _ int64, nonSync bool) (bool, error) { return nonSync, nil }
	discard := func(io.Reader, int64) error { return nil } // the framer discards what is left
	return c.fr.command(line, followNonSync, discard) == nil
}
