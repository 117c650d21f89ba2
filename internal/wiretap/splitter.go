package wiretap

import (
	"bytes"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/imapprobe/imapprobe/internal/redact"
)

// splitter turns one direction's byte stream into logical lines: a line
// and the literals it announces, up to the line end after the last one.
type splitter struct {
	rec     *Recorder
	side    redact.Side
	enforce bool

	mu      sync.Mutex
	line    lineState
	flushed bool
	// wantLF: a chunk ended in CR and its line was recorded at once,
	// because a reader such as imapclient completes a command on the CR
	// (it reads the LF later), and the line must land in the step that
	// received it. When the next byte is not LF, the CR was inside the
	// line: undo takes the line back (or pendErr is dropped), so that the
	// transcript is the one the bytes give in a single chunk.
	wantLF   bool
	undo     *lineState // the line as it was before its CR ended it
	undoEmit bool       // the CR recorded the line (else it began a literal)
	undoKept bool       // and the recorder kept it
	pendErr  error      // a literal over the limit, announced before the CR
}

// lineState is the logical line in progress.
type lineState struct {
	buf       []byte // the line so far, at most bufCap bytes
	dropped   int    // bytes not kept in buf
	phys      int    // length of the current physical line
	litLeft   int64  // literal bytes still expected
	litInline bool
	// ann follows the text since the physical line began or the last
	// literal's content ended: only that text may announce a literal, so
	// that content such as "Ab{40}" is never taken for an announcement.
	ann     announce
	started time.Time
}

func (s *splitter) bufCap() int { return s.rec.lim.MaxLine + 4*inlineLiteral }

// keep appends b to the line, up to bufCap bytes; the rest is counted.
// The buffer grows by doubling but never past bufCap, so its memory, not
// only its length, is bounded.
func (s *splitter) keep(b []byte) {
	l := &s.line
	room := max(s.bufCap()-len(l.buf), 0)
	if room < len(b) {
		l.dropped += len(b) - room
		b = b[:room]
	}
	if len(l.buf)+len(b) > cap(l.buf) {
		nb := make([]byte, len(l.buf), min(max(2*cap(l.buf), len(l.buf)+len(b), 128), s.bufCap()))
		copy(nb, l.buf)
		l.buf = nb
	}
	l.buf = append(l.buf, b...)
}

func (s *splitter) feed(p []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.wantLF && len(p) > 0 {
		s.wantLF = false
		u, err := s.undo, s.pendErr
		s.undo, s.pendErr = nil, nil
		if p[0] == '\n' {
			if err != nil {
				return err
			}
			p = p[1:]
		} else if u != nil {
			if s.undoEmit {
				s.rec.retract(s.dir(), s.undoKept)
			}
			s.line = *u
		}
	}
	l := &s.line
	for len(p) > 0 {
		if l.started.IsZero() {
			l.started = time.Now()
		}
		if l.litLeft > 0 {
			n := int(min(int64(len(p)), l.litLeft))
			if l.litInline {
				s.keep(p[:n])
			}
			l.litLeft -= int64(n)
			p = p[n:]
			continue
		}
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			i = len(p)
		}
		l.phys += i
		if s.enforce && s.rec.lim.MaxLine > 0 && l.phys > s.rec.lim.MaxLine {
			s.keep(p[:min(i, 80)])
			return &LimitError{What: "line", Limit: int64(s.rec.lim.MaxLine), Size: int64(l.phys), Head: s.head(false)}
		}
		s.keep(p[:i])
		l.ann.feed(p[:i])
		if i == len(p) {
			if p[i-1] == '\r' {
				s.endAtCR()
			}
			return nil
		}
		p = p[i+1:]
		if _, _, err := s.endPhysical(); err != nil {
			return err
		}
	}
	return nil
}

// endAtCR ends the line at a CR that ends a chunk, keeping what undoing
// it takes (see wantLF). A literal over the limit fails only once the LF
// confirms the announcement.
func (s *splitter) endAtCR() {
	s.wantLF = true
	if size, ok := s.line.ann.size(); ok && s.tooBig(size) {
		s.pendErr = s.literalError(size)
		return
	}
	u := s.line
	u.buf = append([]byte(nil), s.line.buf...)
	s.undo = &u
	s.undoEmit, s.undoKept, _ = s.endPhysical() // cannot fail: checked above
}

// endPhysical handles a line end: either a literal follows or the logical
// line is complete (emitted; kept says whether the recorder kept it).
func (s *splitter) endPhysical() (emitted, kept bool, err error) {
	l := &s.line
	size, isLit := l.ann.size()
	if isLit && s.tooBig(size) {
		return false, false, s.literalError(size)
	}
	if l.ann.cr {
		if l.dropped > 0 {
			l.dropped-- // the CR was past the bound, so not in buf
		} else {
			l.buf = l.buf[:len(l.buf)-1]
		}
	} else {
		s.countBareLF()
	}
	l.phys, l.ann = 0, announce{}
	if !isLit {
		return true, s.emit(false), nil
	}
	s.keep([]byte("\r\n"))
	l.litLeft = max(size, 0)
	l.litInline = size <= inlineLiteral
	if !l.litInline {
		var a [32]byte
		s.keep(append(strconv.AppendInt(append(a[:0], '['), size, 10), " bytes]"...))
	}
	return false, false, nil
}

func (s *splitter) countBareLF() {
	s.rec.mu.Lock()
	defer s.rec.mu.Unlock()
	if s.rec.bareLF == nil {
		s.rec.bareLF = map[Dir]int{}
	}
	s.rec.bareLF[s.dir()]++
}

// tooBig reports an announced literal over the limit (size -1: too large
// to represent).
func (s *splitter) tooBig(size int64) bool {
	return s.enforce && s.rec.lim.MaxLiteral > 0 && (size < 0 || size > s.rec.lim.MaxLiteral)
}

func (s *splitter) literalError(size int64) error {
	return &LimitError{What: "literal", Limit: s.rec.lim.MaxLiteral, Size: size, Head: s.head(true)}
}

// head quotes the start (or, for a literal announcement, the end) of the
// offending line for a LimitError, masked before it is shortened so that
// no part of a secret survives the cut, and with Peek, which masks a tail
// that may begin a secret (buf holds only the start of the line) and
// leaves the redaction state alone: the line never completes.
func (s *splitter) head(tail bool) string {
	b := s.line.buf
	if s.line.ann.cr && s.line.dropped == 0 && len(b) > 0 {
		b = b[:len(b)-1] // the CR before the LF that ends an announcement
	}
	masked := s.rec.red.Peek(s.side, b)
	if tail {
		masked = masked[max(0, len(masked)-80):]
	} else {
		masked = masked[:min(len(masked), 80)]
	}
	return Escape(masked, 100)
}

func (s *splitter) dir() Dir {
	if s.side == redact.Server {
		return Server
	}
	return Client
}

// flush records a partial line as it is, marked incomplete.
func (s *splitter) flush() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.flushed || len(s.line.buf) == 0 && s.line.litLeft == 0 {
		return
	}
	s.flushed = true // once: LiteralLeft keeps its value for the caller
	left := s.line.litLeft
	s.emit(true)
	s.line.litLeft = left
}

// flushOverLimit records the start of a line that went over a limit,
// marked incomplete, with the count of the bytes it had in all (the
// physical line's, which crossed MaxLine, if larger), so that the
// transcript says how long it got.
func (s *splitter) flushOverLimit() {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := &s.line
	if s.flushed || len(l.buf) == 0 {
		return
	}
	s.flushed = true
	total := max(len(l.buf)+l.dropped, l.phys)
	head := l.buf[:min(len(l.buf), 200)]
	text := s.rec.red.LineCut(s.side, head) + fmt.Sprintf("…(+%d bytes) …(incomplete)", total-len(head))
	s.rec.add(l.started, s.dir(), text, true)
}

// emit records the line and starts a new one.
func (s *splitter) emit(incomplete bool) bool {
	l := &s.line
	var text string
	if l.dropped > 0 || incomplete {
		// cut short: a secret may straddle the end of buf
		text = s.rec.red.LineCut(s.side, l.buf)
	} else {
		text = s.rec.red.Line(s.side, l.buf)
	}
	if l.dropped > 0 {
		text += fmt.Sprintf("…(+%d bytes)", l.dropped)
	}
	if incomplete {
		text += " …(incomplete)"
	}
	kept := s.rec.add(l.started, s.dir(), text, incomplete)
	buf := l.buf[:0]
	if cap(buf) > 4*inlineLiteral {
		buf = nil // do not pin a large buffer
	}
	*l = lineState{buf: buf}
	return kept
}

// announce follows a physical line's text byte by byte and tells whether
// it ends in a literal announcement, exactly as LiteralSize would on that
// text without its final CR. It needs no buffer, so it sees every byte,
// also those the bounded line buffer drops.
type announce struct {
	st   uint8 // one of the ann* states
	cr   bool  // the last byte was a CR; st is the state before it
	over bool  // the digits overflow int64
	n    int64 // their value
}

const (
	annNone   = iota
	annBrace  // '{'
	annDigits // '{' and digits
	annSign   // '{', digits, '+' or '-'
	annClosed // and '}': an announcement
)

// feed steps through p. Only the bytes after the last one that cannot be
// part of an announcement matter, so a long line costs one backward scan.
func (a *announce) feed(p []byte) {
	j := len(p)
	for j > 0 && annByte(p[j-1]) {
		j--
	}
	if j > 0 {
		*a = announce{}
	}
	for _, c := range p[j:] {
		a.step(c)
	}
}

func annByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '{' || c == '}' || c == '+' || c == '-' || c == '\r'
}

func (a *announce) step(c byte) {
	if a.cr { // the CR before c was text, not a line end
		a.cr, a.st = false, annNone
	}
	switch {
	case c == '\r':
		a.cr = true
	case c == '{':
		a.st, a.n, a.over = annBrace, 0, false
	case c >= '0' && c <= '9':
		d := int64(c - '0')
		switch {
		case a.st == annBrace:
			a.st, a.n = annDigits, d
		case a.st != annDigits:
			a.st = annNone
		case a.n > (1<<63-1-d)/10:
			a.over = true
		default:
			a.n = a.n*10 + d
		}
	case (c == '+' || c == '-') && a.st == annDigits:
		a.st = annSign
	case c == '}' && (a.st == annDigits || a.st == annSign):
		a.st = annClosed
	default:
		a.st = annNone
	}
}

// size returns the announced size (-1: too large to represent).
func (a *announce) size() (int64, bool) {
	switch {
	case a.st != annClosed:
		return 0, false
	case a.over:
		return -1, true
	}
	return a.n, true
}

// LiteralSize reports whether line (without its CRLF) ends with a literal
// announcement {N}, {N+} or ~{N}, and its size (-1 when too large to
// represent). Readers above a tap use it too, so that they and the
// transcript agree on where literals are. Pass only the text after the
// last literal's content: content that ends in "{N}" announces nothing.
func LiteralSize(line []byte) (int64, bool) {
	n := len(line)
	if n < 3 || line[n-1] != '}' {
		return 0, false
	}
	end := n - 1
	if line[end-1] == '+' || line[end-1] == '-' {
		end--
	}
	start := end
	for start > 0 && line[start-1] >= '0' && line[start-1] <= '9' {
		start--
	}
	if start == end || start == 0 || line[start-1] != '{' {
		return 0, false
	}
	digits := string(line[start:end])
	size, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return -1, true
	}
	return size, true
}
