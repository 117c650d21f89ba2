package prober

import "github.com/emersion/go-imap/v2"

// ListDetails is the evidence of the list step.
type ListDetails struct {
	Count      int               `json:"count"`
	Delimiter  string            `json:"delimiter,omitempty"`
	SpecialUse map[string]string `json:"special_use,omitempty"` // attribute -> mailbox
	Mailboxes  []string          `json:"mailboxes,omitempty"`   // the first maxListShown
}

const (
	maxListShown = 100
	maxListKept  = 10000
	// maxHintName bounds the names kept for the closest-name hint, and
	// hintCells the edit-distance work spent on it: a hostile LIST of
	// long names must not outlast the step deadline or fill memory.
	maxHintName = 1024
	hintCells   = 20_000_000
	// maxShownName bounds a mailbox name as shown in the report.
	maxShownName = 1024
)

var specialUse = map[imap.MailboxAttr]bool{
	imap.MailboxAttrAll: true, imap.MailboxAttrArchive: true, imap.MailboxAttrDrafts: true,
	imap.MailboxAttrFlagged: true, imap.MailboxAttrJunk: true, imap.MailboxAttrSent: true, imap.MailboxAttrTrash: true,
}

func (p *probe) list(in session, s *Step) (session, bool) {
	d := &ListDetails{}
	s.Details = d
	in = in.withClient()
	cmd := in.imap.client.List("", "*", nil)
	for mb := cmd.Next(); mb != nil; mb = cmd.Next() {
		d.Count++
		if d.Delimiter == "" && mb.Delim != 0 {
			d.Delimiter = string(mb.Delim)
		}
		if len(in.mbox.names) < maxListKept && len(mb.Mailbox) <= maxHintName {
			in.mbox.names = append(in.mbox.names, mb.Mailbox)
		}
		if len(d.Mailboxes) < maxListShown {
			d.Mailboxes = append(d.Mailboxes, cut(mb.Mailbox, maxShownName))
		}
		for _, a := range mb.Attrs {
			if specialUse[a] {
				if d.SpecialUse == nil {
					d.SpecialUse = map[string]string{}
				}
				d.SpecialUse[string(a)] = cut(mb.Mailbox, maxShownName)
			}
		}
	}
	if err := cmd.Close(); err != nil {
		return in, p.failCommand(s, in.imap, StepList, "list.failed", err)
	}
	in.mbox.listed, in.mbox.count = true, d.Count
	return in, true
}
