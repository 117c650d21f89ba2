package prober

import (
	"errors"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/imapprobe/imapprobe/internal/wiretap"
)

// SelectDetails is the evidence of the select step.
type SelectDetails struct {
	Mailbox        string   `json:"mailbox"`
	Command        string   `json:"command"` // EXAMINE or SELECT
	Exists         uint32   `json:"exists"`
	UIDValidity    uint32   `json:"uidvalidity"`
	UIDNext        uint32   `json:"uidnext,omitempty"`
	Flags          []string `json:"flags,omitempty"`
	PermanentFlags []string `json:"permanent_flags,omitempty"`
	ReadOnly       bool     `json:"read_only"`
}

func (p *probe) selectMailbox(in session, s *Step) (session, bool) {
	d := &SelectDetails{Mailbox: p.t.Mailbox, Command: "EXAMINE"}
	if p.o.Select {
		d.Command = "SELECT"
	}
	s.Details = d
	in = in.withClient()
	p.enableUTF8(in.imap.client)
	first := p.rec.Len()
	data, err := in.imap.client.Select(mailboxName(p.t.Mailbox), &imap.SelectOptions{ReadOnly: !p.o.Select}).Wait()
	if err != nil {
		var ie *imap.Error
		if errors.As(err, &ie) && ie.Type == imap.StatusResponseTypeNo {
			code, detail := p.selectErr(in.mbox, ie)
			hint := ""
			if code == "mailbox.not_found" {
				hint = p.closestHint(in.mbox)
			}
			return in, p.failHint(s, code, detail, hint)
		}
		return in, p.failCommand(s, in.imap, StepSelect, "", err)
	}
	d.Exists, d.UIDValidity, d.UIDNext = data.NumMessages, data.UIDValidity, uint32(data.UIDNext)
	for _, f := range data.Flags {
		d.Flags = append(d.Flags, string(f))
	}
	for _, f := range data.PermanentFlags {
		d.PermanentFlags = append(d.PermanentFlags, string(f))
	}
	for _, l := range p.rec.Lines(first) {
		if l.Dir == wiretap.Server && !strings.HasPrefix(l.Text, "*") && strings.Contains(strings.ToUpper(l.Text), "[READ-ONLY]") {
			d.ReadOnly = true
		}
	}
	if p.o.Select && d.ReadOnly {
		p.warn(s, "mailbox.read_only", "SELECT "+quote([]byte(p.t.Mailbox))+" was granted READ-ONLY")
	}
	in.mbox.messages = data.NumMessages
	return in, true
}

// enableUTF8 sends ENABLE before a non-ASCII mailbox name goes out as
// UTF-8. imapclient quotes names as UTF-8 as soon as the server advertises
// IMAP4rev2, but such a server stays in IMAP4rev1 (modified UTF-7 names)
// until the client enables IMAP4rev2 or UTF8=ACCEPT (RFC 9051 section
// 2.3.1; RFC 6855), and then "Entwürfe" would not be found. A refusal is
// left to the select that follows.
func (p *probe) enableUTF8(c *imapclient.Client) {
	if isASCII(p.t.Mailbox) {
		return
	}
	caps := c.Caps()
	switch {
	case caps.Has(imap.CapUTF8Accept):
		_, _ = c.Enable(imap.CapUTF8Accept).Wait()
	case caps.Has(imap.CapIMAP4rev2):
		_, _ = c.Enable(imap.CapIMAP4rev2).Wait()
	}
}

func (p *probe) selectErr(mb mailboxState, ie *imap.Error) (Code, string) {
	detail := serverSaid(ie)
	if code := classifyNo(ie, selectByCode, selectByWords); code != "" {
		return code, detail
	}
	if !mb.has(p.t.Mailbox) {
		return "mailbox.not_found", detail + "; the name is absent from LIST"
	}
	return "mailbox.select_failed", detail
}

// has reports whether LIST named name.
func (mb mailboxState) has(name string) bool {
	for _, m := range mb.names {
		if m == name || strings.EqualFold(m, "INBOX") && strings.EqualFold(name, "INBOX") {
			return true
		}
	}
	return false
}
