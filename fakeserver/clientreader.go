package fakeserver

import (
	"bufio"
	"io"
	"sync"
)

// clientReadSize is the buffer a connection reads its client with while
// the client is sending.
const clientReadSize = 4 << 10

var clientReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, clientReadSize) }}

// clientReader is a buffered reader of the client socket that holds its
// buffer only while bytes are buffered. An idle connection waits in a
// Read into a few bytes of its own, so 10,000 idle clients hold no 40 MB
// of empty buffers. It has the bufio.Reader methods the front uses, with
// their contract: a returned slice is valid until the next read.
type clientReader struct {
	rd   io.Reader
	size int           // buffer size; clientReadSize takes pooled buffers
	br   *bufio.Reader // nil when nothing is buffered
	head prefixed      // what br reads: the woken bytes, then rd
	wake [64]byte      // the idle Read's buffer
}

// prefixed reads pre, then rd.
type prefixed struct {
	pre []byte
	rd  io.Reader
}

func (p *prefixed) Read(b []byte) (int, error) {
	if len(p.pre) > 0 {
		n := copy(b, p.pre)
		p.pre = p.pre[n:]
		return n, nil
	}
	return p.rd.Read(b)
}

func newClientReader(rd io.Reader) *clientReader { return newClientReaderSize(rd, clientReadSize) }

func newClientReaderSize(rd io.Reader, size int) *clientReader {
	return &clientReader{rd: rd, size: max(size, 16), head: prefixed{rd: rd}}
}

// ready makes sure bytes are buffered, blocking in a small Read when none
// are; false with the read's error when none came.
func (c *clientReader) ready() error {
	if c.Buffered() > 0 {
		return nil
	}
	c.release()
	n, err := c.rd.Read(c.wake[:])
	if n == 0 {
		if err == nil {
			err = io.ErrNoProgress
		}
		return err
	}
	c.head.pre = c.wake[:n]
	if c.size == clientReadSize {
		c.br = clientReaders.Get().(*bufio.Reader)
		c.br.Reset(&c.head)
	} else {
		c.br = bufio.NewReaderSize(&c.head, c.size)
	}
	return nil // a read error with n > 0 comes again on the next Read
}

// release gives back an empty buffer.
func (c *clientReader) release() {
	if c.br == nil || c.Buffered() > 0 {
		return
	}
	if c.size == clientReadSize {
		c.br.Reset(nil)
		clientReaders.Put(c.br)
	}
	c.br = nil
}

// Buffered is the number of bytes that can be read without blocking.
func (c *clientReader) Buffered() int {
	if c.br == nil {
		return 0
	}
	return c.br.Buffered() + len(c.head.pre)
}

// ReadSlice is bufio.Reader's.
func (c *clientReader) ReadSlice(delim byte) ([]byte, error) {
	if err := c.ready(); err != nil {
		return nil, err
	}
	return c.br.ReadSlice(delim)
}

// Read reads into p; a large read with nothing buffered goes straight to
// the socket, as bufio's does.
func (c *clientReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if c.Buffered() == 0 && len(p) >= c.size {
		c.release()
		return c.rd.Read(p)
	}
	if err := c.ready(); err != nil {
		return 0, err
	}
	return c.br.Read(p)
}

// Peek is bufio.Reader's.
func (c *clientReader) Peek(n int) ([]byte, error) {
	if err := c.ready(); err != nil {
		return nil, err
	}
	return c.br.Peek(n)
}

// Discard drops n buffered bytes at most (the front only ever drops what
// is buffered).
func (c *clientReader) Discard(n int) (int, error) {
	if c.br == nil {
		return 0, nil
	}
	d, _ := c.br.Discard(min(n, c.br.Buffered()))
	more := min(n-d, len(c.head.pre))
	c.head.pre = c.head.pre[more:]
	return d + more, nil
}
