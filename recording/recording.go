// Package recording is the file format of a recorded IMAP session: what
// `imapprobe --record FILE` writes for a probe, `fakeimapd --upstream URL
// --record DIR` writes for each client of its proxy (without step lines:
// the proxy diagnoses nothing), and `fakeimapd --replay FILE` serves.
//
// A recording is UTF-8 text, one item a line, so that it diffs well and
// can be written by hand. The first line is the version header, exactly
// "# imapprobe recording v1". Blank lines and lines starting with "#" are
// comments. Every other line is a keyword and its value:
//
//	tls implicit|starttls|none     how the client connected (required)
//	user NAME                      the user the probe logged in as
//	mailbox NAME                   the mailbox it examined
//	auth MECH                      the probe's --auth (plain, login, xoauth2, ...)
//	select                         the probe used SELECT, not EXAMINE
//	step-timeout DURATION          the probe's per-step timeout (Go syntax: 400ms)
//	slow DURATION                  the probe's slow-step threshold
//	connected SECONDS              when the TCP connection was up
//	step NAME STATUS [CODE...]     a step's verdict: warnings first, then the failure
//	info SECONDS TEXT              a summary line, e.g. the TLS handshake (informational)
//	S SECONDS TEXT                 a line the server sent
//	S! SECONDS TEXT                a line the server began and never ended (it closed)
//	C SECONDS TEXT                 a line the client sent
//	end server|reset|client        who ended the connection: the server (reset: with a TCP RST) or the client
//
// SECONDS is the offset from the start of the session, in decimal seconds.
// TEXT is a transcript line as the wire tap (internal/wiretap) writes it: secrets are
// "[redacted]", control characters and invalid UTF-8 are Go escapes (\r,
// \n, \t, \xHH, \uHHHH), a literal's content is inline after its "{N}\r\n"
// when it is at most 256 bytes, else "[N bytes]". Lines and step lines
// keep their order; the other keywords appear at most once each.
//
// Decode reports the first problem as one line naming the line number.
package recording

import (
	"time"
)

// Header is the first line of every recording of this version.
const Header = "# imapprobe recording v1"

// Ext is a recording file's extension.
const Ext = ".rec"

// Dir is who sent a line.
type Dir string

// Directions.
const (
	Server Dir = "S"
	Client Dir = "C"
)

// Line is one transcript line.
type Line struct {
	Dir  Dir
	At   time.Duration // offset from the session's start
	Text string        // escaped and masked, as in the transcript
	// Partial marks a server line cut off by the close: no line end was
	// sent after Text.
	Partial bool
}

// Step is one probe step's verdict.
type Step struct {
	Name   string
	Status string   // ok, warn, fail, skipped, not_requested
	Codes  []string // warnings first, then the failure's code
}

// Info is a summary line (the TLS handshake); replay ignores it.
type Info struct {
	At   time.Duration
	Text string
}

// End values: who closed the connection.
const (
	EndServer = "server"
	EndReset  = "reset" // the server reset the connection
	EndClient = "client"
)

// Recording is one recorded session.
type Recording struct {
	TLS         string // implicit, starttls or none
	User        string
	Mailbox     string
	Auth        string
	Select      bool
	StepTimeout time.Duration
	Slow        time.Duration
	Connected   time.Duration
	Steps       []Step
	Infos       []Info
	Lines       []Line
	End         string // EndServer, EndReset or EndClient; "" when unknown
	// Comments are written after the header, each as a "# " line (Encode
	// writes its own when there are none); Decode does not keep them.
	Comments []string
}

// Failure returns the failing step and its code, or "", "".
func (r *Recording) Failure() (step, code string) {
	for _, s := range r.Steps {
		if s.Status == "fail" && len(s.Codes) > 0 {
			return s.Name, s.Codes[len(s.Codes)-1]
		}
	}
	return "", ""
}

// Warnings returns every warning code, in step order.
func (r *Recording) Warnings() []string {
	var out []string
	for _, s := range r.Steps {
		codes := s.Codes
		if s.Status == "fail" && len(codes) > 0 {
			codes = codes[:len(codes)-1]
		}
		out = append(out, codes...)
	}
	return out
}
