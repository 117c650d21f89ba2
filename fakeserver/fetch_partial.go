package fakeserver

import (
	"bufio"
	"bytes"
	"io"
	"sync/atomic"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	gomessage "github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"
)

// FETCH of a whole-message section (BODY[], BODY[TEXT], BINARY[],
// BINARY.SIZE[], with or without <partial>, peeking or not) is written
// straight from the bytes imapmemserver stores: imapmemserver's
// ExtractBodySection copies the whole message into a buffer first, even for
// BODY.PEEK[]<0.1048576> of a 50 MB message, and only then cuts the slice
// out. Everything else is imapmemserver's, byte for byte:
//
//   - FETCHes with no such section go to imapmemserver unchanged;
//   - the others take imapmemserver's own steps (mailbox lock, sequence
//     sets, \Seen and its flag update for other sessions, the order of the
//     data items) in memMailboxView.fetch, and use imapserver's Extract*
//     functions for every other item and section (nested parts, HEADER,
//     HEADER.FIELDS, MIME, ENVELOPE, BODYSTRUCTURE);
//   - a whole-message section is what ExtractBodySection would return: the
//     header as go-message writes it back (which can differ from the stored
//     header, e.g. in line endings) followed by the stored body, cut as
//     extractPartial cuts (an offset past the end gives an empty literal, a
//     range past the end is truncated). Only the header is copied.

// fetchFromStoreOff sends every FETCH to imapmemserver, for the tests that
// compare both.
var fetchFromStoreOff atomic.Bool

// Fetch answers FETCH, from the stored bytes when a section asks for the
// whole message, else through imapmemserver.
func (s *session) Fetch(w *imapserver.FetchWriter, numSet imap.NumSet, options *imap.FetchOptions) error {
	if s.readOnly {
		options = peekOnly(options)
	}
	if !fetchFromStoreOff.Load() && wantsWholeMessage(options) {
		if v := selectedView(s.UserSession); v != nil {
			return v.fetch(w, numSet, options)
		}
	}
	return s.UserSession.Fetch(w, numSet, options)
}

// wantsWholeMessage reports whether options hold a section that
// imapmemserver would build by copying the whole message.
func wantsWholeMessage(options *imap.FetchOptions) bool {
	for _, bs := range options.BodySection {
		if isWholeBodySection(bs) {
			return true
		}
	}
	for _, bs := range options.BinarySection {
		if len(bs.Part) == 0 {
			return true
		}
	}
	for _, bss := range options.BinarySectionSize {
		if len(bss.Part) == 0 {
			return true
		}
	}
	return false
}

// isWholeBodySection: BODY[] or BODY[TEXT] of the message itself.
func isWholeBodySection(bs *imap.FetchItemBodySection) bool {
	if len(bs.Part) != 0 || len(bs.HeaderFields) != 0 || len(bs.HeaderFieldsNot) != 0 {
		return false
	}
	return bs.Specifier == imap.PartSpecifierNone || bs.Specifier == imap.PartSpecifierText
}

// fetch is imapmemserver's MailboxView.Fetch, with writeMessage for
// message.fetch.
func (v *memMailboxView) fetch(w *imapserver.FetchWriter, numSet imap.NumSet, options *imap.FetchOptions) error {
	markSeen := false
	for _, bs := range options.BodySection {
		if !bs.Peek {
			markSeen = true
			break
		}
	}
	mb := v.mailbox()
	mb.mutex.Lock()
	defer mb.mutex.Unlock()
	return v.forEachLocked(mb, numSet, func(seqNum uint32, msg *memMessage) error {
		if markSeen {
			msg.flags[canonicalFlag(imap.FlagSeen)] = struct{}{}
			mb.tracker.QueueMessageFlags(seqNum, msg.uid, msg.flagList(), nil)
		}
		return writeMessage(w.CreateMessage(v.tracker.EncodeSeqNum(seqNum)), msg, options)
	})
}

// writeMessage writes the data items imapmemserver's message.fetch writes,
// in its order. The mailbox's mutex must be held.
func writeMessage(w *imapserver.FetchResponseWriter, msg *memMessage, options *imap.FetchOptions) error {
	w.WriteUID(msg.uid)
	if options.Flags {
		w.WriteFlags(msg.flagList())
	}
	if options.InternalDate {
		w.WriteInternalDate(msg.t)
	}
	if options.RFC822Size {
		w.WriteRFC822Size(int64(len(msg.buf)))
	}
	if options.Envelope {
		w.WriteEnvelope(envelope(msg.buf))
	}
	if options.BodyStructure != nil {
		w.WriteBodyStructure(imapserver.ExtractBodyStructure(bytes.NewReader(msg.buf)))
	}

	var top *topLevel // parsed on first use
	parsed := func() *topLevel {
		if top == nil {
			top = parseTopLevel(msg.buf)
		}
		return top
	}
	for _, bs := range options.BodySection {
		sec, ok := section{}, false
		if isWholeBodySection(bs) {
			sec, ok = parsed().bodySection(bs)
		}
		if !ok {
			sec = section{tail: imapserver.ExtractBodySection(bytes.NewReader(msg.buf), bs)}
		}
		if err := sec.writeTo(w.WriteBodySection(bs, sec.size())); err != nil {
			return err
		}
	}
	for _, bs := range options.BinarySection {
		sec, ok := section{}, false
		if len(bs.Part) == 0 {
			sec, ok = parsed().binarySection(bs.Partial)
		}
		if !ok {
			sec = section{tail: imapserver.ExtractBinarySection(bytes.NewReader(msg.buf), bs)}
		}
		if err := sec.writeTo(w.WriteBinarySection(bs, sec.size())); err != nil {
			return err
		}
	}
	for _, bss := range options.BinarySectionSize {
		var n uint32
		sec, ok := section{}, false
		if len(bss.Part) == 0 {
			sec, ok = parsed().binarySection(nil)
		}
		if ok {
			n = uint32(sec.size())
		} else {
			n = imapserver.ExtractBinarySectionSize(bytes.NewReader(msg.buf), bss)
		}
		w.WriteBinarySectionSize(bss, n)
	}
	return w.Close()
}

// envelope is imapmemserver's message.envelope.
func envelope(buf []byte) *imap.Envelope {
	header, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(buf)))
	if err != nil {
		return nil
	}
	return imapserver.ExtractEnvelope(header)
}

// topLevel is a stored message split as imapserver's Extract* functions
// split it: the parsed header, that header as they write it back, and the
// stored bytes after it.
type topLevel struct {
	ok     bool // the header parsed and wrote back
	header textproto.Header
	head   []byte // the header as textproto.WriteHeader writes it
	body   []byte // a slice of the stored message, not a copy
}

func parseTopLevel(buf []byte) *topLevel {
	r := bytes.NewReader(buf)
	br := bufio.NewReader(r)
	h, err := textproto.ReadHeader(br)
	if err != nil {
		return &topLevel{}
	}
	var head bytes.Buffer
	if err := textproto.WriteHeader(&head, h); err != nil {
		return &topLevel{}
	}
	// What ReadHeader consumed: what left r, less what br still holds.
	start := len(buf) - r.Len() - br.Buffered()
	return &topLevel{ok: true, header: h, head: head.Bytes(), body: buf[start:]}
}

// bodySection is ExtractBodySection for BODY[] and BODY[TEXT] of the
// message itself; ok is false when that function should run instead.
func (t *topLevel) bodySection(bs *imap.FetchItemBodySection) (section, bool) {
	if !t.ok {
		return section{}, false
	}
	switch bs.Specifier {
	case imap.PartSpecifierNone:
		return section{head: t.head, tail: t.body}.partial(bs.Partial)
	case imap.PartSpecifierText:
		return section{tail: t.body}.partial(bs.Partial)
	}
	return section{}, false
}

// binarySection is ExtractBinarySection for BINARY[] of the message
// itself, when go-message would hand the body through undecoded (no
// transfer encoding other than 7bit/8bit/binary, no charset conversion);
// ok is false when that function should run instead.
func (t *topLevel) binarySection(partial *imap.SectionPartial) (section, bool) {
	if !t.ok {
		return section{}, false
	}
	probe := bytes.NewReader(t.body)
	e, err := gomessage.New(gomessage.Header{Header: t.header}, probe)
	if err != nil || e.Body != io.Reader(probe) {
		return section{}, false
	}
	return section{head: t.head, tail: t.body}.partial(partial)
}

// section is a literal's content: head, then tail.
type section struct{ head, tail []byte }

func (s section) size() int64 { return int64(len(s.head)) + int64(len(s.tail)) }

// partial cuts s as imapserver's extractPartial cuts a section: nothing if
// the offset is past the end, up to the end if the range goes past it.
func (s section) partial(p *imap.SectionPartial) (section, bool) {
	if p == nil {
		return s, true
	}
	if p.Offset < 0 || p.Size < 0 {
		return section{}, false // not from the wire; let imapserver decide
	}
	n := s.size()
	if p.Offset > n {
		return section{}, true
	}
	end := min(p.Offset+p.Size, n)
	return s.cut(p.Offset, end), true
}

// cut returns the bytes [from, to) of s.
func (s section) cut(from, to int64) section {
	h := int64(len(s.head))
	var out section
	if from < h {
		out.head = s.head[from:min(to, h)]
	}
	if to > h {
		out.tail = s.tail[max(from-h, 0) : to-h]
	}
	return out
}

// writeTo writes s to a literal writer and closes it, as message.fetch
// does: a write error wins over the close error.
func (s section) writeTo(wc io.WriteCloser) error {
	var writeErr error
	for _, p := range [][]byte{s.head, s.tail} {
		if len(p) > 0 && writeErr == nil {
			_, writeErr = wc.Write(p)
		}
	}
	closeErr := wc.Close()
	if writeErr != nil {
		return writeErr
	}
	return closeErr
}
