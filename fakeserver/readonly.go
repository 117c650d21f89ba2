package fakeserver

import (
	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
)

// A mailbox opened with EXAMINE is read-only (RFC 3501, 6.3.2). go-imap's
// imapserver leaves the check to the backend, and imapmemserver stores
// flags and expunges all the same. Like Dovecot, the fake answers STORE
// and EXPUNGE (and so CLOSE) with OK and changes nothing, and a FETCH of
// a body section leaves \Seen unset. COPY and MOVE out of it still work,
// as on Dovecot. The personas word those OKs as their servers do (rules
// with readOnly): Dovecot's "OK Store ignored with read-only mailbox",
// Cyrus's "NO Permission denied" to STORE and EXPUNGE.

func (s *session) Expunge(w *imapserver.ExpungeWriter, uids *imap.UIDSet) error {
	if s.readOnly {
		return nil
	}
	return s.UserSession.Expunge(w, uids)
}

// peekOnly is options with every body section a PEEK, so that reading
// it sets no \Seen.
func peekOnly(options *imap.FetchOptions) *imap.FetchOptions {
	o := *options
	o.BodySection = make([]*imap.FetchItemBodySection, len(options.BodySection))
	for i, bs := range options.BodySection {
		peek := *bs
		peek.Peek = true
		o.BodySection[i] = &peek
	}
	o.BinarySection = make([]*imap.FetchItemBinarySection, len(options.BinarySection))
	for i, bs := range options.BinarySection {
		peek := *bs
		peek.Peek = true
		o.BinarySection[i] = &peek
	}
	return &o
}
