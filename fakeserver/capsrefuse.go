package fakeserver

import (
	"fmt"
	"slices"
	"sync"

	"github.com/imapprobe/imapprobe/faults"
)

// Capability faults change behaviour, not only the advertisement: a
// command that needs a capability a caps fault removed from what the
// client was last told is refused, as a server without it answers
// (faults.NoStartTLSReply and the others), and LOGIN is refused once a
// fault added LOGINDISABLED. The backend would accept them: the refusal
// follows what the client saw, so it also follows the fault's scope (a
// later list that advertises the capability again lifts it).

// capEdit is what the faults did to one capability in the lists sent.
type capEdit uint8

const (
	capRemoved capEdit = iota + 1 // the backend has it; the client was told it is missing
	capAdded                      // the backend lacks it; the client was told it is there
)

// capsSeen follows the capability lists a connection was sent.
type capsSeen struct {
	mu    sync.Mutex
	last  []string           // the last list sent, as the client saw it
	edits map[string]capEdit // the faults' edits still in force
}

// saw notes one list: orig as the persona gave it, edited as the faults
// left it. A capability in neither list keeps its edit, since a list of
// another state (after login, say) says nothing of it; an added one that
// is no longer sent is no longer in force.
func (s *capsSeen) saw(orig, edited []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.edits == nil {
		s.edits = map[string]capEdit{}
	}
	s.last = slices.Clone(edited)
	for c, e := range s.edits {
		if e == capAdded && !slices.Contains(edited, c) {
			delete(s.edits, c)
		}
	}
	for _, c := range edited {
		if slices.Contains(orig, c) {
			delete(s.edits, c)
		} else {
			s.edits[c] = capAdded
		}
	}
	for _, c := range orig {
		if !slices.Contains(edited, c) {
			s.edits[c] = capRemoved
		}
	}
}

// capsCommand is what a refusal depends on in a client command.
type capsCommand struct {
	name     string // upper-case
	uid      bool
	mech     string // AUTHENTICATE's mechanism, upper-case
	ir       bool   // AUTHENTICATE has an initial response
	loggedIn bool
	literal  int64 // the size of a non-synchronising literal ending the first line, or -1
}

// commandCaps are the commands that need a capability of their own.
var commandCaps = map[string]string{
	"STARTTLS": "STARTTLS", "IDLE": "IDLE", "MOVE": "MOVE", "NAMESPACE": "NAMESPACE",
	"UNSELECT": "UNSELECT", "ENABLE": "ENABLE", "ID": "ID", "UNAUTHENTICATE": "UNAUTHENTICATE",
}

// maxLiteralMinus is the largest non-synchronising literal LITERAL- allows.
const maxLiteralMinus = 4096

// refusal returns the reply (after "TAG ") that refuses cmd, and why, or
// "" when the command goes through.
func (s *capsSeen) refusal(cmd capsCommand) (reply, why string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	removed := func(c string) bool { return s.edits[c] == capRemoved }
	unknown := func(c string) (string, string) {
		why := c + " was not advertised"
		if !cmd.loggedIn {
			return faults.NoCommandReply, why
		}
		return fmt.Sprintf(faults.NoCommandLoggedInFormat, cmd.fullName()), why
	}
	switch {
	case cmd.name == "STARTTLS" && removed("STARTTLS"):
		return faults.NoStartTLSReply, "STARTTLS was not advertised"
	case cmd.name == "LOGIN" && s.edits["LOGINDISABLED"] == capAdded:
		return faults.LoginDisabledReply, "LOGINDISABLED was advertised"
	case cmd.name == "AUTHENTICATE" && removed("AUTH="+cmd.mech):
		return faults.NoMechanismReply, "AUTH=" + cmd.mech + " was not advertised"
	case cmd.name == "AUTHENTICATE" && cmd.ir && removed("SASL-IR"):
		return unknown("SASL-IR")
	case cmd.name == "EXPUNGE" && cmd.uid && removed("UIDPLUS"):
		return unknown("UIDPLUS")
	case commandCaps[cmd.name] != "" && removed(commandCaps[cmd.name]):
		return unknown(commandCaps[cmd.name])
	case cmd.literal >= 0 && (removed("LITERAL+") || removed("LITERAL-")) &&
		!slices.Contains(s.last, "LITERAL+") && (cmd.literal > maxLiteralMinus || !slices.Contains(s.last, "LITERAL-")):
		return unknown("LITERAL+")
	}
	return "", ""
}

// capsRefusal is the front's check of a command against what the client
// was told; the refusal is noted in the transcript.
func (c *conn) capsRefusal(name string, uid bool, mech, ir string, line []byte) string {
	cmd := capsCommand{name: name, uid: uid, mech: mech, ir: ir != "",
		loggedIn: c.persona.state() == afterLogin, literal: -1}
	if size, nonSync := literalSuffix(line); nonSync {
		cmd.literal = size
	}
	reply, why := c.proxyRefusal(cmd)
	if reply == "" {
		reply, why = c.rec.caps.refusal(cmd)
	}
	if reply != "" {
		c.tap.Note("refused %s: %s", cmd.fullName(), why)
	}
	return reply
}

func (cmd capsCommand) fullName() string {
	if cmd.uid {
		return "UID " + cmd.name
	}
	return cmd.name
}
