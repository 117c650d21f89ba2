package fakeserver

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// mbox files (mboxo and mboxrd): each message starts with a "From "
// line, which is not part of it; a body line that would start with
// "From " is written ">From ", and in mboxrd ">From " as ">>From ".

// LoadMbox reads an mbox file into one mailbox: mailbox, or when it is
// empty the file's name without its extension ("Archive.mbox" is
// "Archive", "inbox" is INBOX). Each message's internal date is the date
// of its "From " line, read as UTC (the line carries no zone), or the
// default of SeedMessage when it has none; every line that matches
// ">+From " loses one ">", which undoes both mboxo's and mboxrd's
// escaping (mboxo's is ambiguous: a body line that was ">From " comes
// back as "From "). The messages have no flags.
func LoadMbox(path, mailbox string) (SeedMailbox, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return SeedMailbox{}, err
	}
	return parseMbox(path, data, mailbox)
}

func parseMbox(path string, data []byte, mailbox string) (SeedMailbox, error) {
	if mailbox == "" {
		base := filepath.Base(path)
		mailbox = strings.TrimSuffix(base, filepath.Ext(base))
	}
	msgs, err := splitMbox(data)
	if err != nil {
		return SeedMailbox{}, fmt.Errorf("%s: %w", path, err)
	}
	mb := SeedMailbox{Name: seedBoxName("", mailbox)}
	for _, m := range msgs {
		mb.Messages = append(mb.Messages, SeedMessage{Raw: m.raw, InternalDate: m.date})
	}
	return mb, nil
}

type mboxMessage struct {
	raw  []byte
	date time.Time // zero if the From line has none
	line int       // the From line's number
}

// splitMbox splits an mbox file into its messages, unescaped, with
// their line endings as the file has them. The blank line before each
// "From " line (and at the end of the file) separates messages and is
// dropped.
func splitMbox(data []byte) ([]mboxMessage, error) {
	if len(data) == 0 {
		return nil, nil
	}
	if !bytes.HasPrefix(data, []byte("From ")) {
		return nil, fmt.Errorf("line 1: not an mbox file: it must start with a \"From \" line")
	}
	var (
		out  []mboxMessage
		cur  *mboxMessage
		body []byte
	)
	flush := func() {
		if cur == nil {
			return
		}
		// The separating blank line: "\n" or "\r\n" after the last line.
		switch {
		case string(body) == "\n" || string(body) == "\r\n":
			body = nil
		case bytes.HasSuffix(body, []byte("\r\n\r\n")):
			body = body[:len(body)-2]
		case bytes.HasSuffix(body, []byte("\n\n")):
			body = body[:len(body)-1]
		}
		cur.raw = body
		out = append(out, *cur)
	}
	for n := 1; len(data) > 0; n++ {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i+1], data[i+1:]
		} else {
			data = nil
		}
		if bytes.HasPrefix(line, []byte("From ")) {
			flush()
			cur, body = &mboxMessage{line: n, date: fromLineDate(line)}, nil
			continue
		}
		if i := bytes.IndexFunc(line, func(r rune) bool { return r != '>' }); i > 0 && bytes.HasPrefix(line[i:], []byte("From ")) {
			line = line[1:]
		}
		body = append(body, line...)
	}
	flush()
	for _, m := range out {
		if len(m.raw) == 0 {
			return nil, fmt.Errorf("line %d: the message after this \"From \" line is empty", m.line)
		}
	}
	return out, nil
}

// fromLineDate reads the asctime date that ends a "From sender date"
// line (an mbox convention; some writers add a zone or remote info).
func fromLineDate(line []byte) time.Time {
	fields := strings.Fields(string(line))
	for i := 2; i+5 <= len(fields); i++ {
		s := strings.Join(fields[i:i+5], " ")
		if t, err := time.Parse("Mon Jan 2 15:04:05 2006", s); err == nil {
			return t
		}
	}
	return time.Time{}
}
