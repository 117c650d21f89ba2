// Package wiretap records an IMAP connection as a transcript: every logical
// line in both directions, tagged C: or S:, with its time offset, masked by
// internal/redact, with control characters escaped. It also protects the
// reader from a hostile peer: a line longer than Limits.MaxLine or a literal
// announced larger than Limits.MaxLiteral fails the read at once, before the
// bytes are buffered, so memory stays bounded.
//
// Tap the plaintext IMAP stream (above TLS). TLS itself is recorded by the
// caller as one Info line (Recorder.Note).
package wiretap

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/imapprobe/imapprobe/internal/redact"
)

// Dir is the direction of a transcript line.
type Dir string

const (
	// Client marks a line sent by the IMAP client.
	Client Dir = "C"
	// Server marks a line sent by the IMAP server.
	Server Dir = "S"
	// Info marks a summary written by the recorder's owner, e.g. a TLS handshake.
	Info Dir = "*"
)

// Line is one transcript entry.
type Line struct {
	At   time.Duration `json:"at_ns"` // offset from the recorder's start
	Dir  Dir           `json:"dir"`
	Text string        `json:"text"` // masked, escaped, shortened
	// Incomplete marks a line the connection ended (or timed out) in the
	// middle of; its text ends in " …(incomplete)".
	Incomplete bool `json:"incomplete,omitempty"`
}

// String formats the line as "  0.012s C: a1 CAPABILITY".
func (l Line) String() string {
	return fmt.Sprintf("%8.3fs %s: %s", l.At.Seconds(), l.Dir, l.Text)
}

// Limits bound what a Recorder and its taps accept and keep.
type Limits struct {
	MaxLine    int   // longest line from the peer, literals excluded
	MaxLiteral int64 // largest literal the peer may announce
	MaxLines   int   // transcript lines kept; later ones are only counted
	MaxText    int   // bytes of text kept per transcript line
}

// DefaultLimits suits a diagnostic client: 64 KiB lines, 2 MiB literals.
func DefaultLimits() Limits {
	return Limits{MaxLine: 64 << 10, MaxLiteral: 2 << 20, MaxLines: 2000, MaxText: 1000}
}

// inlineLiteral is the largest literal whose content is kept in the line
// (where redact can see it); larger ones show as "[N bytes]".
const inlineLiteral = 256

// LimitError reports a peer that exceeded Limits.
type LimitError struct {
	What  string // "line" or "literal"
	Limit int64
	Size  int64  // announced literal size, or bytes seen so far for a line
	Head  string // the start of the offending line, escaped and shortened
}

func (e *LimitError) Error() string {
	if e.What == "literal" {
		return fmt.Sprintf("peer announced a %d-byte literal, over the %d-byte limit: %s", e.Size, e.Limit, e.Head)
	}
	return fmt.Sprintf("peer sent more than %d bytes without a line end: %s", e.Limit, e.Head)
}

// Recorder collects the transcript of one connection.
type Recorder struct {
	start time.Time
	lim   Limits
	red   *redact.Session

	mu      sync.Mutex
	lines   []Line
	omitted int
	bareLF  map[Dir]int
}

// New returns a Recorder whose offsets count from start. red masks secrets;
// nil means a fresh redact.Session.
func New(start time.Time, lim Limits, red *redact.Session) *Recorder {
	if red == nil {
		red = redact.NewSession()
	}
	return &Recorder{start: start, lim: lim, red: red}
}

// Reserve makes room for n lines up front and returns r: an owner that
// knows about how many lines it will keep saves the slice's regrowth.
func (r *Recorder) Reserve(n int) *Recorder {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = slices.Grow(r.lines, n)
	return r
}

// Note adds an Info line, masked and escaped like the others.
func (r *Recorder) Note(format string, args ...any) {
	r.add(time.Now(), Info, r.red.Scrub(fmt.Sprintf(format, args...)), false)
}

// Len returns the number of lines kept so far.
func (r *Recorder) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.lines)
}

// Lines returns a copy of lines [from, Len()).
func (r *Recorder) Lines(from int) []Line {
	r.mu.Lock()
	defer r.mu.Unlock()
	if from >= len(r.lines) {
		return nil
	}
	return append([]Line(nil), r.lines[from:]...)
}

// BareLF returns how many lines from dir ended with LF alone instead of
// CRLF (a protocol violation, typically a rewriting proxy).
func (r *Recorder) BareLF(dir Dir) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.bareLF[dir]
}

// Omitted returns how many lines were dropped over Limits.MaxLines.
func (r *Recorder) Omitted() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.omitted
}

// Last returns the text of the most recent line from dir, or "".
func (r *Recorder) Last(dir Dir) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.lines) - 1; i >= 0; i-- {
		if r.lines[i].Dir == dir {
			return r.lines[i].Text
		}
	}
	return ""
}

// add records a line and reports whether it was kept (false: only
// counted, over Limits.MaxLines).
func (r *Recorder) add(at time.Time, dir Dir, text string, incomplete bool) bool {
	text = Escape(text, r.lim.MaxText)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lim.MaxLines > 0 && len(r.lines) >= r.lim.MaxLines {
		r.omitted++
		return false
	}
	r.lines = append(r.lines, Line{At: at.Sub(r.start), Dir: dir, Text: text, Incomplete: incomplete})
	return true
}

// retract takes back the last line from dir (kept tells whether add kept
// it): a line recorded at a CR that the next byte showed was not its end.
// Only the splitter of dir adds dir's lines, so the last one is that line.
func (r *Recorder) retract(dir Dir, kept bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !kept {
		r.omitted--
		return
	}
	for i := len(r.lines) - 1; i >= 0; i-- {
		if r.lines[i].Dir == dir {
			r.lines = append(r.lines[:i], r.lines[i+1:]...)
			return
		}
	}
}

// Escape makes s safe to print on a terminal: control characters and
// invalid UTF-8 become Go escapes, and text past max bytes (if max > 0) is
// replaced by a count. Printable ASCII within the limit, most IMAP lines,
// is returned as it is, without allocating.
func Escape(s string, limit int) string {
	if limit <= 0 || len(s) <= limit {
		i := 0
		for i < len(s) && plain(s[i]) {
			i++
		}
		if i == len(s) {
			return s
		}
	}
	var b strings.Builder
	b.Grow(min(len(s), max(limit, 0)+16) + 16)
	for i := 0; i < len(s); {
		var a [24]byte
		if limit > 0 && b.Len() >= limit {
			b.WriteString("…(+")
			b.Write(strconv.AppendInt(a[:0], int64(len(s)-i), 10))
			b.WriteString(" bytes)")
			break
		}
		if plain(s[i]) { // a run of printable ASCII, up to the limit
			j := i + 1
			for j < len(s) && plain(s[j]) && (limit <= 0 || b.Len()+j-i < limit) {
				j++
			}
			b.WriteString(s[i:j])
			i = j
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.Write(append(append(a[:0], `\x`...), hexDigit[s[i]>>4], hexDigit[s[i]&15]))
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			q := strconv.AppendQuoteRune(a[:0], r)
			b.Write(q[1 : len(q)-1])
		case unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp):
			// bidi overrides, zero-width and line-separator characters
			// would let a server reorder or hide what the terminal shows
			h := strconv.AppendInt(a[:0], int64(r), 16)
			b.WriteString(`\u` + "000"[min(len(h), 4)-1:])
			b.Write(h)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func plain(c byte) bool { return c >= 0x20 && c < 0x7f }

const hexDigit = "0123456789abcdef"

// Tap wraps c so that its traffic is recorded. local is the side this
// process plays: redact.Client taps writes as C: and reads as S:, and
// enforces Limits on what it reads from the server; redact.Server does the
// opposite. Deadlines and Close pass through to c.
func (r *Recorder) Tap(c net.Conn, local redact.Side) *Conn {
	peer := redact.Server
	if local == redact.Server {
		peer = redact.Client
	}
	return &Conn{
		Conn: c,
		in:   &splitter{rec: r, side: peer, enforce: true},
		out:  &splitter{rec: r, side: local},
	}
}

// Conn is a tapped connection.
type Conn struct {
	net.Conn
	in, out *splitter

	mu  sync.Mutex
	err error
}

// Read reads from the peer, recording complete lines. It fails with a
// *LimitError once the peer exceeds the limits, and keeps failing.
func (c *Conn) Read(p []byte) (int, error) {
	if err := c.Err(); err != nil {
		return 0, err
	}
	n, err := c.Conn.Read(p)
	if n > 0 {
		if lerr := c.in.feed(p[:n]); lerr != nil {
			c.mu.Lock()
			c.err = lerr
			c.mu.Unlock()
			// show the start of the line the limit stopped, and how long
			// it got: no later Read reaches the flush below
			c.in.flushOverLimit()
			return 0, lerr
		}
	}
	if err != nil && n == 0 {
		c.in.flush() // show what arrived before the connection failed
	}
	return n, err
}

// Write writes to the peer, recording complete lines.
func (c *Conn) Write(p []byte) (int, error) {
	// Recorded before sending, so that the answer never precedes it in
	// the transcript (and redaction sees the command first).
	_ = c.out.feed(p) // own output: never limited
	return c.Conn.Write(p)
}

// FlushWrites records a line this side began writing and never ended,
// marked incomplete: the response a close cut short, for a writer that
// closes the connection itself.
func (c *Conn) FlushWrites() { c.out.flush() }

// Err returns the limit violation that stopped reading, if any.
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Pending reports whether a partial line from the peer has been read but not
// yet completed, and returns its start, escaped (evidence for a drop or a
// timeout mid-line).
func (c *Conn) Pending() (string, bool) {
	c.in.mu.Lock()
	defer c.in.mu.Unlock()
	if len(c.in.line.buf) == 0 && c.in.line.litLeft == 0 {
		return "", false
	}
	// Peek: the line is still arriving, so it may end in part of a secret,
	// and it must not move the redaction state before it is complete
	return Escape(c.in.rec.red.Peek(c.in.side, c.in.line.buf), 120), true
}

// LiteralLeft returns how many bytes of a literal from the peer are still
// expected (0 when no literal is in progress).
func (c *Conn) LiteralLeft() int64 {
	c.in.mu.Lock()
	defer c.in.mu.Unlock()
	return c.in.line.litLeft
}
