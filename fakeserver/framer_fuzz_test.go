package fakeserver

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
)

// Small limits keep the fuzzer's inputs near them.
const (
	fuzzMaxLine    = 64
	fuzzMaxLiteral = 200
)

// frameEvent is one thing the framer handed out: a line, or a literal's
// content.
type frameEvent struct {
	literal bool
	data    string
}

func (e frameEvent) String() string {
	if e.literal {
		return fmt.Sprintf("L%q", e.data)
	}
	return fmt.Sprintf("C%q", e.data)
}

// frameAll frames every command in r as the conn does for forwarded
// commands, and returns the events and the error that ended framing.
func frameAll(r io.Reader, bufSize int) ([]frameEvent, error) {
	f := &framer{br: newClientReaderSize(r, bufSize), maxLine: fuzzMaxLine, maxLiteral: fuzzMaxLiteral}
	var evs []frameEvent
	for {
		line, err := f.line()
		if err != nil {
			return evs, err
		}
		err = f.command(line, func(l []byte, _ int64, _ bool) (bool, error) {
			evs = append(evs, frameEvent{data: string(l)})
			return true, nil
		}, func(r io.Reader, size int64) error {
			b, err := io.ReadAll(r)
			evs = append(evs, frameEvent{literal: true, data: string(b)})
			if err == nil && int64(len(b)) != size {
				return io.ErrUnexpectedEOF
			}
			return err
		})
		if err != nil {
			return evs, err
		}
	}
}

// referenceFrame frames data by index arithmetic, the obvious way: a line
// up to its LF; a literal announced at its end skips exactly N bytes,
// which are never searched for line ends or announcements.
func referenceFrame(data []byte) ([]frameEvent, error) {
	var evs []frameEvent
	for {
		i := bytes.IndexByte(data, '\n')
		switch {
		case i < 0 && len(data) > fuzzMaxLine, i+1 > fuzzMaxLine:
			return evs, errLineTooLong
		case i < 0:
			return evs, io.EOF // a partial line, or nothing, is left
		}
		line := data[:i+1]
		data = data[i+1:]
		evs = append(evs, frameEvent{data: string(line)})
		size, _ := literalSuffix(line)
		switch {
		case size < 0:
			continue
		case size > fuzzMaxLiteral:
			return evs, errLiteralTooLarge
		case int64(len(data)) < size:
			evs = append(evs, frameEvent{literal: true, data: string(data)})
			return evs, io.ErrUnexpectedEOF
		}
		evs = append(evs, frameEvent{literal: true, data: string(data[:size])})
		data = data[size:]
	}
}

// chunkReader returns data in the chunk sizes sizes gives, cycling.
type chunkReader struct {
	data  []byte
	sizes []byte
	i     int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := 1
	if len(c.sizes) > 0 {
		n = int(c.sizes[c.i%len(c.sizes)]) + 1
		c.i++
	}
	n = min(n, len(p), len(c.data))
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

// errClass folds the ways framing ends into comparable classes: a clean
// end and a cut-off one both come from running out of input.
func errClass(err error) string {
	switch {
	case errors.Is(err, errLineTooLong):
		return "line too long"
	case errors.Is(err, errLiteralTooLarge):
		return "literal too large"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "end of input"
	case err == nil:
		return "nil"
	}
	return "other: " + err.Error()
}

// FuzzFramer: the client-bytes framer never panics, keeps lines within
// its limit, frames the same bytes the same way however they are chunked,
// and agrees with a framer by index arithmetic, so literal content (even
// content ending in "{99999999}") is never taken for a line or an
// announcement.
func FuzzFramer(f *testing.F) {
	for _, seed := range []string{
		"a LOGIN alice {12}\r\nAb{99999999}\r\nb NOOP\r\n",
		"a LOGIN alice {4}\r\n{20}\r\nb NOOP\r\n",
		"a LOGIN {5}\r\nalice {6}\r\nAb{40}\r\nb NOOP\r\nc LOGOUT\r\n",
		"a APPEND INBOX {3+}\r\nabc {2}\r\nde\r\n",
		"a LOGIN alice {99999999999999999999}\r\n",
		"a LOGIN alice {201}\r\n",
		"a NOOP\nb NOOP\r\n",
		"a SELECT ~{3}\r\nabc\r\n",
		"partial line without end",
	} {
		f.Add([]byte(seed), []byte{0, 3, 17})
	}
	f.Fuzz(func(t *testing.T, data, sizes []byte) {
		if len(data) > 4096 {
			return
		}
		whole, wholeErr := frameAll(bytes.NewReader(data), 4096)
		chunked, chunkedErr := frameAll(&chunkReader{data: data, sizes: sizes}, 16)
		ref, refErr := referenceFrame(data)
		for _, run := range []struct {
			name string
			evs  []frameEvent
			err  error
		}{{"chunked", chunked, chunkedErr}, {"reference", ref, refErr}} {
			if fmt.Sprint(run.evs) != fmt.Sprint(whole) || errClass(run.err) != errClass(wholeErr) {
				t.Fatalf("%s framing differs:\n%v (%v)\nwhole:\n%v (%v)", run.name, run.evs, run.err, whole, wholeErr)
			}
		}
		var consumed []byte
		for _, e := range whole {
			if !e.literal && len(e.data) > fuzzMaxLine {
				t.Fatalf("line of %d bytes over the limit %d", len(e.data), fuzzMaxLine)
			}
			consumed = append(consumed, e.data...)
		}
		if !bytes.HasPrefix(data, consumed) {
			t.Fatalf("events are not the input in order:\n%q\nfrom\n%q", consumed, data)
		}
	})
}
