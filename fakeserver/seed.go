package fakeserver

import (
	"bytes"
	"fmt"
	"hash/crc32"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// seededBoxes are the mailboxes every seeded user has, with the RFC 6154
// special-use attributes LIST gives them. imapmemserver v2.0.0-beta.8
// ignores CreateOptions.SpecialUse, so the attributes live in mailStore.
// The restricted mailbox of WithRestrictedMailbox is added after them.
var seededBoxes = []struct {
	name       string
	specialUse []imap.MailboxAttr
}{
	// In this order, the first four keep the UIDVALIDITY (1 to 4) they had
	// before Drafts, Trash and Junk were seeded.
	{"INBOX", nil},
	{"Sent", []imap.MailboxAttr{imap.MailboxAttrSent}},
	{"Archive", []imap.MailboxAttr{imap.MailboxAttrArchive}},
	{"Archive/2025", nil},
	{"Drafts", []imap.MailboxAttr{imap.MailboxAttrDrafts}},
	{"Trash", []imap.MailboxAttr{imap.MailboxAttrTrash}},
	{"Junk", []imap.MailboxAttr{imap.MailboxAttrJunk}},
}

// seedTime is the date of the first seeded message; later ones follow it an
// hour apart, so FETCH output is the same on every run.
var seedTime = time.Date(2026, time.March, 2, 9, 15, 0, 0, time.UTC)

// SeededInbox is the number of messages every user's INBOX starts with,
// before WithMessages adds more.
const SeededInbox = 3

// seedUser is the fixed seed of one user: mailboxes and messages.
func seedUser(st *mailStore, name string, extra int) error {
	for _, mb := range seededBoxes {
		if err := st.create(mb.name, mb.specialUse); err != nil {
			return fmt.Errorf("create %s: %w", mb.name, err)
		}
	}
	addr := name + "@example.test"
	ids := messageIDs{user: name}
	inbox := [][]byte{
		plainMessage(addr, "Welcome to the fake IMAP server", 0, ids.next(),
			"This INBOX is seeded by imapprobe's fakeserver.\r\n"),
		alternativeMessage(addr, 1, ids.next()),
		// RFC 2047: "Grüße aus München" in UTF-8, Q-encoded.
		plainMessage(addr, "=?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_M=C3=BCnchen?=", 2, ids.next(),
			"Non-ASCII subject, encoded as RFC 2047 requires.\r\n"),
	}
	for i := range extra {
		inbox = append(inbox, plainMessage(addr, fmt.Sprintf("Generated message %d", i+1),
			len(inbox), ids.next(), fmt.Sprintf("Generated body %d.\r\n", i+1)))
	}
	for i, raw := range inbox {
		if err := st.appendRaw("INBOX", raw, seedTime.Add(time.Duration(i)*time.Hour)); err != nil {
			return err
		}
	}
	sent := plainMessage(addr, "Re: Welcome", 0, ids.next(), "Thanks!\r\n")
	sent = bytes.Replace(sent, []byte("From: Fake Server <postmaster@example.test>\r\nTo: "+addr),
		[]byte("From: "+addr+"\r\nTo: Fake Server <postmaster@example.test>"), 1)
	if err := st.appendRaw("Sent", sent, seedTime); err != nil {
		return err
	}
	return st.appendRaw("Archive/2025", plainMessage(addr, "Old news", 0, ids.next(), "Archived.\r\n"), seedTime.AddDate(-1, 0, 0))
}

// messageIDs numbers a user's seeded messages. The Message-ID carries the
// user, so no two users share one: a client that tracks messages by
// Message-ID across accounts (imaptest's state tracking) must not see one
// message change its ENVELOPE. The name is reduced to dot-atom characters
// and a checksum of it keeps reduced names apart.
type messageIDs struct {
	user string
	n    int
}

func (m *messageIDs) next() string {
	m.n++
	safe := strings.Map(func(r rune) rune {
		if r < 0x80 && (r == '-' || r == '.' || r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			return r
		}
		return '_'
	}, m.user)
	return fmt.Sprintf("<seed-%d.%s.%08x@example.test>", m.n, safe, crc32.ChecksumIEEE([]byte(m.user)))
}

func appendRaw(u *imapmemserver.User, mailbox string, raw []byte, t time.Time) error {
	_, err := u.Append(mailbox, literal{bytes.NewReader(raw), int64(len(raw))}, &imap.AppendOptions{Time: t})
	return err
}

// literal adapts a bytes.Reader to imap.LiteralReader.
type literal struct {
	*bytes.Reader
	n int64
}

func (l literal) Size() int64 { return l.n }

func header(to, subject string, n int, messageID string) string {
	t := seedTime.Add(time.Duration(n) * time.Hour)
	return strings.Join([]string{
		"From: Fake Server <postmaster@example.test>",
		"To: " + to,
		"Subject: " + subject,
		"Date: " + t.Format(time.RFC1123Z),
		"Message-ID: " + messageID,
		"MIME-Version: 1.0",
	}, "\r\n") + "\r\n"
}

func plainMessage(to, subject string, n int, messageID, body string) []byte {
	return []byte(header(to, subject, n, messageID) +
		"Content-Type: text/plain; charset=utf-8\r\n" +
		"Content-Transfer-Encoding: 7bit\r\n\r\n" + body)
}

func alternativeMessage(to string, n int, messageID string) []byte {
	const b = "seed-boundary-42"
	return []byte(header(to, "Your weekly report", n, messageID) +
		"Content-Type: multipart/alternative; boundary=\"" + b + "\"\r\n\r\n" +
		"--" + b + "\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n\r\n" +
		"Everything is fine.\r\n" +
		"--" + b + "\r\n" +
		"Content-Type: text/html; charset=utf-8\r\n\r\n" +
		"<p>Everything is <b>fine</b>.</p>\r\n" +
		"--" + b + "--\r\n")
}
