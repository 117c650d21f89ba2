package prober

import (
	"fmt"
	"io"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// FetchDetails is the evidence of the fetch step.
type FetchDetails struct {
	SeqNum    uint32    `json:"seq"`
	UID       uint32    `json:"uid,omitempty"`
	Flags     []string  `json:"flags,omitempty"`
	Size      int64     `json:"rfc822_size"`
	BodyBytes int64     `json:"body_bytes"`
	Requested int64     `json:"requested_bytes"` // the --max-fetch limit
	Truncated bool      `json:"truncated"`       // the message is larger than --max-fetch
	Date      time.Time `json:"date,omitzero"`
	Subject   string    `json:"subject,omitempty"`
	From      []string  `json:"from,omitempty"`
	MessageID string    `json:"message_id,omitempty"`
	hasSize   bool
	hasBody   bool
}

func (p *probe) fetch(in session, s *Step) (session, bool) {
	n := in.mbox.messages
	if n == 0 {
		s.Note = "mailbox is empty: nothing to fetch"
		return in, true
	}
	d := &FetchDetails{SeqNum: n, Requested: p.o.MaxFetch}
	s.Details = d
	opts := &imap.FetchOptions{UID: true, Envelope: true, Flags: true, RFC822Size: true,
		BodySection: []*imap.FetchItemBodySection{{Peek: true, Partial: &imap.SectionPartial{Offset: 0, Size: p.o.MaxFetch}}}}
	in = in.withClient()
	cmd := in.imap.client.Fetch(imap.SeqSetNum(n), opts)
	msgs := 0
	var readErr error
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		msgs++
		if msgs > 1 || msg.SeqNum != n {
			continue // unsolicited FETCH (flag updates): ignore
		}
		for item := msg.Next(); item != nil; item = msg.Next() {
			if err := p.fetchItem(d, item); err != nil && readErr == nil {
				readErr = err
			}
		}
	}
	if err := cmd.Close(); err != nil {
		return in, p.failCommand(s, in.imap, StepFetch, "fetch.failed", err)
	}
	if readErr != nil {
		return in, p.failCommand(s, in.imap, StepFetch, "", readErr)
	}
	switch {
	case !d.hasSize && !d.hasBody:
		return in, p.fail(s, "fetch.failed", fmt.Sprintf("the server returned no FETCH data for message %d", n))
	case !d.hasSize:
		return in, p.fail(s, "fetch.incomplete", "the server did not return RFC822.SIZE")
	case !d.hasBody:
		return in, p.fail(s, "fetch.incomplete", "the server did not return BODY[]")
	}
	want := min(d.Size, p.o.MaxFetch)
	d.Truncated = d.Size > p.o.MaxFetch
	if d.BodyBytes != want {
		return in, p.fail(s, "fetch.incomplete", fmt.Sprintf("RFC822.SIZE is %d bytes, so %d body bytes were expected (limit %d), but the server sent %d", d.Size, want, p.o.MaxFetch, d.BodyBytes))
	}
	return in, true
}

func (p *probe) fetchItem(d *FetchDetails, item imapclient.FetchItemData) error {
	switch item := item.(type) {
	case imapclient.FetchItemDataBodySection:
		d.hasBody = true
		if item.Literal != nil {
			n, err := io.Copy(io.Discard, item.Literal)
			d.BodyBytes += n
			return err
		}
	case imapclient.FetchItemDataRFC822Size:
		d.hasSize, d.Size = true, item.Size
	case imapclient.FetchItemDataUID:
		d.UID = uint32(item.UID)
	case imapclient.FetchItemDataFlags:
		for _, f := range item.Flags {
			d.Flags = append(d.Flags, string(f))
		}
	case imapclient.FetchItemDataEnvelope:
		if e := item.Envelope; e != nil {
			d.Date, d.Subject, d.MessageID = e.Date, e.Subject, e.MessageID
			for _, a := range e.From {
				d.From = append(d.From, a.Addr())
			}
		}
	}
	return nil
}
