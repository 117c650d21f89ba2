package faults

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
)

// Drop closes the connection, with a FIN or, with ",rst", a TCP reset:
//
//	drop:on-accept        at once, before TLS and the greeting
//	drop:after-greeting   right after the greeting
//	drop:FETCH            when FETCH arrives, without answering it
//	drop:FETCH+120        after exactly 120 bytes of the response to FETCH
//	drop:bytes=4096       after exactly 4096 bytes written in total
//	drop:FETCH,rst        any of the above, ending with a reset
//
// Byte counts are of the IMAP stream, above TLS.
type Drop struct {
	// At is "on-accept", "after-greeting", "bytes", or a command target
	// as Reply.Command ("FETCH", "UID FETCH", "SELECT|EXAMINE", "*").
	At string `json:"at"`
	// Bytes is the total to write for At "bytes"; for a command, how many
	// bytes of its response to write first (0: drop on arrival).
	Bytes int64 `json:"bytes,omitempty"`
	RST   bool  `json:"rst,omitempty"`

	scoped
}

func init() {
	k := register(new(Drop), plain(parseDrop),
		form{"drop:on-accept[,rst]", "drop:on-accept,rst"},
		form{"drop:after-greeting[,rst]", "drop:after-greeting"},
		form{"drop:COMMAND[,rst]", "drop:FETCH"},
		form{"drop:COMMAND+BYTES[,rst]", "drop:FETCH+120"},
		form{"drop:bytes=BYTES[,rst]", "drop:bytes=4096"},
	)
	k.example = "drop:FETCH+120" // a JSON hint with a command and a byte count
}

const (
	dropOnAccept      = "on-accept"
	dropAfterGreeting = "after-greeting"
	dropBytes         = "bytes"
)

// ErrDropped is returned by a writer once a drop fault has cut the stream.
var ErrDropped = errors.New("faults: connection dropped by a drop fault")

func parseDrop(spec, args string) (Fault, error) {
	d := &Drop{}
	args, opt, hasOpt := strings.Cut(args, ",")
	if hasOpt {
		if !strings.EqualFold(opt, "rst") {
			return nil, specError(spec, fmt.Sprintf("unknown drop option %q", opt), "valid: rst")
		}
		d.RST = true
	}
	if at, n, ok := strings.Cut(args, "="); ok && asciiLower(at) == dropBytes {
		var err error
		d.At = dropBytes
		d.Bytes, err = parseCount(spec, n)
		return d, err
	}
	var after string
	var hasAfter bool
	d.At, after, hasAfter = strings.Cut(args, "+")
	if hasAfter && asciiLower(d.At) == dropBytes {
		return nil, specError(spec, `"bytes+"`, "write drop:bytes=N")
	}
	var err error
	if hasAfter {
		d.Bytes, err = parseCount(spec, after)
	}
	return d, err
}

func (d *Drop) check() *fieldError {
	switch at := asciiLower(d.At); at {
	case dropOnAccept, dropAfterGreeting, dropBytes:
		d.At = at
	default:
		if e := canonCommand("at", &d.At, dropOnAccept, dropAfterGreeting, dropBytes+"=N"); e != nil {
			return e
		}
	}
	switch {
	case d.Bytes < 0, d.At == dropBytes && d.Bytes == 0:
		return &fieldError{"bytes", fmt.Sprintf("bad byte count %d", d.Bytes), "want a whole number of 1 or more"}
	case (d.At == dropOnAccept || d.At == dropAfterGreeting) && d.Bytes != 0:
		return &fieldError{"bytes", fmt.Sprintf("drop %s takes no byte count", d.At),
			"only a command target or bytes takes a byte count"}
	}
	return nil
}

func parseCount(spec, s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 {
		return 0, specError(spec, fmt.Sprintf("bad byte count %q", s), "want a whole number of 1 or more")
	}
	return n, nil
}

// Kind returns "drop".
func (d *Drop) Kind() string { return "drop" }

// Spec returns the text form.
func (d *Drop) Spec() string {
	s := "drop:" + d.At
	switch {
	case d.At == dropBytes:
		s += "=" + strconv.FormatInt(d.Bytes, 10)
	case d.Bytes > 0:
		s += "+" + strconv.FormatInt(d.Bytes, 10)
	}
	if d.RST {
		s += ",rst"
	}
	return s + scopeSuffix(&d.scope)
}

func (d *Drop) firesBeforeUser() bool {
	return d.At == dropOnAccept || d.At == dropAfterGreeting || d.At == dropBytes
}

func (d *Drop) mode() CloseMode {
	if d.RST {
		return CloseRST
	}
	return CloseFIN
}

// OnAccept closes a fresh connection.
func (d *Drop) OnAccept(ConnInfo) Action { return d.at(dropOnAccept) }

// OnGreeting closes the connection once the greeting is sent.
func (d *Drop) OnGreeting(ConnInfo) Action { return d.at(dropAfterGreeting) }

// at closes the connection if the fault is for the point where.
func (d *Drop) at(where string) Action {
	if d.At != where {
		return Action{}
	}
	return Action{Close: d.mode()}
}

// OnCommand closes the connection when a matching command arrives, or
// Bytes into its response.
func (d *Drop) OnCommand(_ ConnInfo, cmd Command) Action {
	if d.firesBeforeUser() || !matchCommand(d.At, cmd) {
		return Action{}
	}
	return Action{Close: d.mode(), CutAfter: d.Bytes}
}

// WrapWriter cuts the connection after Bytes bytes in total.
func (d *Drop) WrapWriter(_ ConnInfo, w io.Writer, closer func(CloseMode)) io.Writer {
	if d.At != dropBytes {
		return w
	}
	return &cutWriter{w: w, left: d.Bytes, closer: closer, mode: d.mode()}
}

// cutWriter passes through its first left bytes, then closes the
// connection and fails every later write.
type cutWriter struct {
	mu     sync.Mutex
	w      io.Writer
	left   int64
	closer func(CloseMode)
	mode   CloseMode
}

func (cw *cutWriter) Write(p []byte) (int, error) {
	cw.mu.Lock()
	defer cw.mu.Unlock()
	if cw.left == 0 {
		return 0, ErrDropped
	}
	n, err := cw.w.Write(p[:min(int64(len(p)), cw.left)])
	cw.left -= int64(n)
	if err != nil {
		return n, err
	}
	if cw.left > 0 {
		return n, nil
	}
	cw.closer(cw.mode)
	if n < len(p) {
		return n, ErrDropped
	}
	return n, nil
}
