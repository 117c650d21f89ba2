package prober

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/imapprobe/imapprobe/internal/wiretap"
)

// clientConn is what imapclient reads from: a synthetic greeting (the real
// one was read by hand and is already in the transcript), any bytes the
// hand-driven reader had buffered, then the tapped connection. imapclient
// sets its own read deadlines; they are ignored, the probe owns deadlines.
type clientConn struct {
	net.Conn
	tap     *wiretap.Conn
	mu      sync.Mutex
	prefix  []byte
	pad     int64 // zeros still owed to an interrupted literal
	readErr error
}

// Read serves the prefix, then the tap. When the connection fails in the
// middle of a literal, the rest of the literal is padded with zeros before
// the error is returned: imapclient races on its own buffer when a literal
// read fails (its reader resumes while the caller still drains the literal),
// and the step reports the recorded error, not the padding.
func (c *clientConn) Read(b []byte) (int, error) {
	c.mu.Lock()
	switch {
	case len(c.prefix) > 0:
		n := copy(b, c.prefix)
		c.prefix = c.prefix[n:]
		c.mu.Unlock()
		return n, nil
	case c.pad > 0:
		n := int(min(int64(len(b)), c.pad))
		clear(b[:n])
		c.pad -= int64(n)
		c.mu.Unlock()
		return n, nil
	case c.readErr != nil:
		c.mu.Unlock()
		return 0, c.readErr
	}
	c.mu.Unlock() // not held across the blocking read: err() must not wait
	n, err := c.tap.Read(b)
	if err == nil {
		return n, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.readErr = err
	if left := c.tap.LiteralLeft(); n == 0 && left > 0 {
		n = int(min(int64(len(b)), left))
		clear(b[:n])
		c.pad = left - int64(n)
		return n, nil
	}
	return n, err
}

func (c *clientConn) err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.readErr
}

func (c *clientConn) SetDeadline(time.Time) error      { return nil }
func (c *clientConn) SetReadDeadline(time.Time) error  { return nil }
func (c *clientConn) SetWriteDeadline(time.Time) error { return nil }

// ensureClient hands the connection to imapclient.
func (p *probe) ensureClient() *imapclient.Client {
	if p.client != nil {
		return p.client
	}
	kind := "OK"
	if p.preauth || p.authed {
		kind = "PREAUTH" // so that imapclient knows it is logged in
	}
	var caps []string
	for _, c := range p.caps.list {
		if isAtom(c) {
			caps = append(caps, c)
		}
	}
	prefix := fmt.Sprintf("* %s [CAPABILITY %s] greeting already read\r\n", kind, strings.Join(caps, " "))
	buffered, _ := p.br.Peek(p.br.Buffered())
	p.feed = &clientConn{Conn: p.tap, tap: p.tap, prefix: append([]byte(prefix), buffered...)}
	p.client = imapclient.New(p.feed, &imapclient.Options{})
	_ = p.client.WaitGreeting()
	return p.client
}

func isAtom(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune(`(){%*"\]`, r) {
			return false
		}
	}
	return true
}

// cmdErr classifies an imapclient error that is not a NO/BAD the step
// handles itself.
func (p *probe) cmdErr(step string, err error) (code, detail string) {
	if rerr := p.feed.err(); rerr != nil {
		return p.ioCode(step, rerr)
	}
	if !time.Now().Before(p.deadline) || p.ctx.Err() != nil {
		return p.ioCode(step, errTimeout)
	}
	var ie *imap.Error
	if errors.As(err, &ie) {
		if ie.Type == imap.StatusResponseTypeBye {
			return area[step] + ".dropped", serverSaid(ie)
		}
		return area[step] + ".bad", serverSaid(ie)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
		return p.ioCode(step, io.ErrUnexpectedEOF)
	}
	detail = err.Error()
	if last := p.rec.Last(wiretap.Server); last != "" {
		detail += "; last server line: " + quote([]byte(last))
	}
	return area[step] + ".malformed", detail
}

var errTimeout = fmt.Errorf("deadline passed: %w", deadlineErr{})

type deadlineErr struct{}

func (deadlineErr) Error() string   { return "i/o timeout" }
func (deadlineErr) Timeout() bool   { return true }
func (deadlineErr) Temporary() bool { return true }

// serverSaid quotes a status response as a diagnosis detail.
func serverSaid(e *imap.Error) string {
	s := string(e.Type)
	if e.Code != "" {
		s += " [" + string(e.Code) + "]"
	}
	return "server said: " + quote([]byte(s+" "+e.Text))
}

// failCommand reports a failed imapclient command: a NO as noCode when one
// is given, anything else as cmdErr classifies it.
func (p *probe) failCommand(s *Step, step, noCode string, err error) bool {
	var ie *imap.Error
	if noCode != "" && errors.As(err, &ie) && ie.Type == imap.StatusResponseTypeNo {
		return p.fail(s, noCode, serverSaid(ie))
	}
	code, detail := p.cmdErr(step, err)
	return p.fail(s, code, detail)
}

// ---- list ----

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

func (p *probe) list(s *Step) bool {
	d := &ListDetails{}
	s.Details = d
	cmd := p.ensureClient().List("", "*", nil)
	for mb := cmd.Next(); mb != nil; mb = cmd.Next() {
		d.Count++
		if d.Delimiter == "" && mb.Delim != 0 {
			d.Delimiter = string(mb.Delim)
		}
		if len(p.mailbox) < maxListKept && len(mb.Mailbox) <= maxHintName {
			p.mailbox = append(p.mailbox, mb.Mailbox)
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
		return p.failCommand(s, StepList, "list.failed", err)
	}
	p.listDone, p.listCount = true, d.Count
	return true
}

// ---- select ----

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

func (p *probe) selectMailbox(s *Step) bool {
	d := &SelectDetails{Mailbox: p.t.Mailbox, Command: "EXAMINE"}
	if p.o.Select {
		d.Command = "SELECT"
	}
	s.Details = d
	p.enableUTF8()
	first := p.rec.Len()
	data, err := p.ensureClient().Select(mailboxName(p.t.Mailbox), &imap.SelectOptions{ReadOnly: !p.o.Select}).Wait()
	if err != nil {
		var ie *imap.Error
		if errors.As(err, &ie) && ie.Type == imap.StatusResponseTypeNo {
			code, detail := p.selectErr(ie)
			hint := ""
			if code == "mailbox.not_found" {
				hint = p.closestHint()
			}
			return p.failHint(s, code, detail, hint)
		}
		return p.failCommand(s, StepSelect, "", err)
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
	p.numMsgs = data.NumMessages
	return true
}

// enableUTF8 sends ENABLE before a non-ASCII mailbox name goes out as
// UTF-8. imapclient quotes names as UTF-8 as soon as the server advertises
// IMAP4rev2, but such a server stays in IMAP4rev1 (modified UTF-7 names)
// until the client enables IMAP4rev2 or UTF8=ACCEPT (RFC 9051 section
// 2.3.1; RFC 6855), and then "Entwürfe" would not be found. A refusal is
// left to the select that follows.
func (p *probe) enableUTF8() {
	if isASCII(p.t.Mailbox) {
		return
	}
	c := p.ensureClient()
	caps := c.Caps()
	switch {
	case caps.Has(imap.CapUTF8Accept):
		_, _ = c.Enable(imap.CapUTF8Accept).Wait()
	case caps.Has(imap.CapIMAP4rev2):
		_, _ = c.Enable(imap.CapIMAP4rev2).Wait()
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func (p *probe) selectErr(ie *imap.Error) (string, string) {
	detail := serverSaid(ie)
	switch ie.Code {
	case imap.ResponseCodeNonExistent:
		return "mailbox.not_found", detail
	case imap.ResponseCodeNoPerm:
		return "mailbox.no_permission", detail
	case imap.ResponseCodeInUse:
		return "mailbox.in_use", detail
	}
	text := strings.ToLower(ie.Text)
	switch {
	case containsAny(text, "doesn't exist", "does not exist", "not found", "no such", "unknown mailbox", "nonexistent", "not exist", "could not be found", "cannot be found"):
		return "mailbox.not_found", detail
	case containsAny(text, "permission", "access denied", "access is denied", "not allowed", "acl", "no right"):
		return "mailbox.no_permission", detail
	case containsAny(text, "in use", "locked", "lock "):
		return "mailbox.in_use", detail
	}
	if !p.listed(p.t.Mailbox) {
		return "mailbox.not_found", detail + "; the name is absent from LIST"
	}
	return "mailbox.select_failed", detail
}

func containsAny(s string, words ...string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

func (p *probe) listed(name string) bool {
	for _, m := range p.mailbox {
		if m == name || strings.EqualFold(m, "INBOX") && strings.EqualFold(name, "INBOX") {
			return true
		}
	}
	return false
}

// closestHint names the existing mailboxes closest to the wanted one, or,
// when none is similar, the first few there are.
func (p *probe) closestHint() string {
	if p.listDone && p.listCount == 0 {
		return "LIST returned no mailbox at all, not even INBOX: the account exists but has no mail storage. Check the server's mailbox autocreation (Cyrus autocreate_inbox_folders, Dovecot auto = create) or the account's provisioning."
	}
	names := closest(p.t.Mailbox, p.mailbox, 3, p.deadline)
	intro, more := "Closest existing mailboxes: ", ""
	if len(names) == 0 {
		if len(p.mailbox) == 0 {
			return catalog["mailbox.not_found"].Fix
		}
		names = p.mailbox[:min(5, len(p.mailbox))]
		intro = fmt.Sprintf("No similar name among the %d listed mailboxes; they include ", len(p.mailbox))
		if len(names) < len(p.mailbox) {
			more = fmt.Sprintf(" and %d more", len(p.mailbox)-len(names))
		}
	}
	q := make([]string, len(names))
	for i, b := range names {
		q[i] = quote([]byte(b))
	}
	return intro + strings.Join(q, ", ") + more + ". Pass one with --mailbox or in the URL path."
}

// closest returns up to n names ordered by edit distance to want
// (case-insensitive), keeping only plausible matches. Its work is bounded
// by hintCells and by the deadline.
func closest(want string, names []string, n int, deadline time.Time) []string {
	type cand struct {
		name string
		dist int
	}
	if len(want) > maxHintName {
		return nil
	}
	var cands []cand
	lw := strings.ToLower(want)
	limit := max(3, len([]rune(want))/2)
	budget := hintCells
	for i, name := range names {
		if i%256 == 0 && !deadline.IsZero() && !time.Now().Before(deadline) {
			break
		}
		ln := strings.ToLower(name)
		if strings.Contains(ln, lw) || strings.Contains(lw, ln) {
			cands = append(cands, cand{name, abs(len(ln) - len(lw))})
			continue
		}
		if abs(len(ln)-len(lw)) > 4*limit { // bytes: up to 4 per rune
			continue // the distance is at least the length difference
		}
		if budget -= len(ln) * len(lw); budget < 0 {
			break
		}
		if dist := editDistance(lw, ln); dist <= limit {
			cands = append(cands, cand{name, dist})
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].dist < cands[j].dist })
	var out []string
	for _, c := range cands[:min(n, len(cands))] {
		out = append(out, c.name)
	}
	return out
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// ---- fetch ----

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

func (p *probe) fetch(s *Step) bool {
	if p.numMsgs == 0 {
		s.Note = "mailbox is empty: nothing to fetch"
		return true
	}
	d := &FetchDetails{SeqNum: p.numMsgs, Requested: p.o.MaxFetch}
	s.Details = d
	opts := &imap.FetchOptions{UID: true, Envelope: true, Flags: true, RFC822Size: true,
		BodySection: []*imap.FetchItemBodySection{{Peek: true, Partial: &imap.SectionPartial{Offset: 0, Size: p.o.MaxFetch}}}}
	cmd := p.ensureClient().Fetch(imap.SeqSetNum(p.numMsgs), opts)
	msgs := 0
	var readErr error
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		msgs++
		if msgs > 1 || msg.SeqNum != p.numMsgs {
			continue // unsolicited FETCH (flag updates): ignore
		}
		for item := msg.Next(); item != nil; item = msg.Next() {
			if err := p.fetchItem(d, item); err != nil && readErr == nil {
				readErr = err
			}
		}
	}
	if err := cmd.Close(); err != nil {
		return p.failCommand(s, StepFetch, "fetch.failed", err)
	}
	if readErr != nil {
		return p.failCommand(s, StepFetch, "", readErr)
	}
	switch {
	case !d.hasSize && !d.hasBody:
		return p.fail(s, "fetch.failed", fmt.Sprintf("the server returned no FETCH data for message %d", p.numMsgs))
	case !d.hasSize:
		return p.fail(s, "fetch.incomplete", "the server did not return RFC822.SIZE")
	case !d.hasBody:
		return p.fail(s, "fetch.incomplete", "the server did not return BODY[]")
	}
	want := min(d.Size, p.o.MaxFetch)
	d.Truncated = d.Size > p.o.MaxFetch
	if d.BodyBytes != want {
		return p.fail(s, "fetch.incomplete", fmt.Sprintf("RFC822.SIZE is %d bytes, so %d body bytes were expected (limit %d), but the server sent %d", d.Size, want, p.o.MaxFetch, d.BodyBytes))
	}
	return true
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

// ---- logout ----

func (p *probe) logout(s *Step) bool {
	first := p.rec.Len()
	err := p.ensureClient().Logout().Wait()
	if err == nil {
		return true
	}
	if p.feed.err() != nil && p.byeSince(first) {
		s.Note = "server sent BYE and closed without a tagged OK"
		return true
	}
	return p.failCommand(s, StepLogout, "", err)
}

func (p *probe) byeSince(first int) bool {
	for _, l := range p.rec.Lines(first) {
		if l.Dir == wiretap.Server && !l.Incomplete && isUntagged(l.Text, "BYE") {
			return true // a whole BYE line: cut mid-line is a drop, not a goodbye
		}
	}
	return false
}
