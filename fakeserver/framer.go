package fakeserver

import (
	"errors"
	"io"
)

// errLiteralTooLarge ends a connection whose client announces a literal
// over maxLiteral.
var errLiteralTooLarge = errors.New("fakeserver: literal too large")

// framer splits the client's bytes into commands as the backend reads
// them. A command is a line; when the line ends in a literal announcement
// {N}, N bytes of literal content follow, and then the rest of the
// command, on a line that may announce another literal. Literal content
// is never read as a line: content that itself ends in "{99}" is data.
// Lines are bounded by maxLine and literals by maxLiteral; literal content
// is streamed, never buffered whole.
type framer struct {
	br         *clientReader
	maxLine    int
	maxLiteral int64
	// before, if set, runs before each read (the conn renews its idle
	// deadline there).
	before func()
}

func newFramer(br *clientReader) *framer {
	return &framer{br: br, maxLine: maxClientLine, maxLiteral: maxLiteral}
}

// line reads the next line with its LF: the first line of a command.
func (f *framer) line() ([]byte, error) {
	if f.before != nil {
		f.before()
	}
	return readLine(f.br, f.maxLine)
}

// lineFunc receives each line of a command with the literal it announces
// (size -1 for none). It returns whether to go on to that literal: a
// command the backend never sees stops before a synchronising literal,
// which the client sends only after a "+". A literal followed over the
// framer's maxLiteral fails with errLiteralTooLarge.
type lineFunc func(line []byte, size int64, nonSync bool) (follow bool, err error)

// literalFunc receives a literal: r holds exactly size bytes. Whatever it
// leaves unread is discarded.
type literalFunc func(r io.Reader, size int64) error

// command frames the rest of the command whose first line is first,
// handing its lines to onLine and its literals to onLiteral.
func (f *framer) command(first []byte, onLine lineFunc, onLiteral literalFunc) error {
	line := first
	for {
		size, nonSync := literalSuffix(line)
		follow, err := onLine(line, size, nonSync)
		if err != nil || size < 0 || !follow {
			return err
		}
		if size > f.maxLiteral {
			return errLiteralTooLarge
		}
		if f.before != nil {
			f.before()
		}
		lr := &io.LimitedReader{R: f.br, N: size}
		if err := onLiteral(lr, size); err != nil {
			return err
		}
		if _, err := io.Copy(io.Discard, lr); err != nil {
			return err
		}
		if lr.N > 0 {
			return io.ErrUnexpectedEOF
		}
		if line, err = f.line(); err != nil {
			return err
		}
	}
}
