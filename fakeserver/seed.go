package fakeserver

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// Mailboxes every seeded user has. Restricted is listed but refuses SELECT.
// imapmemserver v2.0.0-beta.8 ignores CreateOptions.SpecialUse, so Sent and
// Archive carry no \Sent / \Archive attribute.
var seededMailboxes = []string{"INBOX", "Sent", "Archive", "Archive/2025", restrictedMailbox}

// seedTime is the date of the first seeded message; later ones follow it an
// hour apart, so FETCH output is the same on every run.
var seedTime = time.Date(2026, time.March, 2, 9, 15, 0, 0, time.UTC)

// SeededInbox is the number of messages every user's INBOX starts with,
// before WithMessages adds more.
const SeededInbox = 3

func seedUser(u *imapmemserver.User, name string, extra int) error {
	for _, mb := range seededMailboxes {
		if err := u.Create(mb, nil); err != nil {
			return fmt.Errorf("create %s: %w", mb, err)
		}
	}
	addr := name + "@example.test"
	inbox := [][]byte{
		plainMessage(addr, "Welcome to the fake IMAP server", 0,
			"This INBOX is seeded by imapprobe's fakeserver.\r\n"),
		alternativeMessage(addr, 1),
		// RFC 2047: "Grüße aus München" in UTF-8, Q-encoded.
		plainMessage(addr, "=?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_M=C3=BCnchen?=", 2,
			"Non-ASCII subject, encoded as RFC 2047 requires.\r\n"),
	}
	for i := range extra {
		inbox = append(inbox, plainMessage(addr, fmt.Sprintf("Generated message %d", i+1),
			len(inbox), fmt.Sprintf("Generated body %d.\r\n", i+1)))
	}
	for i, raw := range inbox {
		if err := appendRaw(u, "INBOX", raw, seedTime.Add(time.Duration(i)*time.Hour)); err != nil {
			return err
		}
	}
	sent := plainMessage(addr, "Re: Welcome", 0, "Thanks!\r\n")
	sent = bytes.Replace(sent, []byte("From: Fake Server <postmaster@example.test>\r\nTo: "+addr),
		[]byte("From: "+addr+"\r\nTo: Fake Server <postmaster@example.test>"), 1)
	if err := appendRaw(u, "Sent", sent, seedTime); err != nil {
		return err
	}
	return appendRaw(u, "Archive/2025", plainMessage(addr, "Old news", 0, "Archived.\r\n"), seedTime.AddDate(-1, 0, 0))
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

func header(to, subject string, n int) string {
	t := seedTime.Add(time.Duration(n) * time.Hour)
	return strings.Join([]string{
		"From: Fake Server <postmaster@example.test>",
		"To: " + to,
		"Subject: " + subject,
		"Date: " + t.Format(time.RFC1123Z),
		fmt.Sprintf("Message-ID: <seed-%d@example.test>", n),
		"MIME-Version: 1.0",
	}, "\r\n") + "\r\n"
}

func plainMessage(to, subject string, n int, body string) []byte {
	return []byte(header(to, subject, n) +
		"Content-Type: text/plain; charset=utf-8\r\n" +
		"Content-Transfer-Encoding: 7bit\r\n\r\n" + body)
}

func alternativeMessage(to string, n int) []byte {
	const b = "seed-boundary-42"
	return []byte(header(to, "Your weekly report", n) +
		"Content-Type: multipart/alternative; boundary=\"" + b + "\"\r\n\r\n" +
		"--" + b + "\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n\r\n" +
		"Everything is fine.\r\n" +
		"--" + b + "\r\n" +
		"Content-Type: text/html; charset=utf-8\r\n\r\n" +
		"<p>Everything is <b>fine</b>.</p>\r\n" +
		"--" + b + "--\r\n")
}
