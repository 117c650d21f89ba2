package fakeserver

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
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
// back as "From "). Flags come from the Status, X-Status and X-Keywords
// headers, which are dropped, as Dovecot reads and hides them.
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
		raw, flags := mboxStatus(m.raw)
		for _, f := range flags {
			if err := checkSeedFlag(f); err != nil {
				return SeedMailbox{}, fmt.Errorf("%s: the message of line %d: X-Keywords: %w", path, m.line, err)
			}
		}
		mb.Messages = append(mb.Messages, SeedMessage{Raw: raw, Flags: flags, InternalDate: m.date})
	}
	return mb, nil
}

// mboxStatusHeaders are the headers in which mbox writers (mutt, Dovecot,
// UW-IMAP) keep a message's state; Dovecot reads its flags from them and
// serves the message without them, as the fake does.
var mboxStatusHeaders = []string{"Status", "X-Status", "X-Keywords", "X-UID", "X-IMAP", "X-IMAPbase", "Content-Length"}

// mboxStatus takes the flags from a message's Status (R: \Seen),
// X-Status (A: \Answered, F: \Flagged, T: \Draft, D: \Deleted) and
// X-Keywords (keywords, by comma or space) headers, and returns the
// message without the state headers. Only the header section is read;
// a folded state header is dropped with its continuation lines.
func mboxStatus(raw []byte) ([]byte, []imap.Flag) {
	var (
		out         []byte
		flags       []imap.Flag
		name, value string // the state header being read, unfolded
	)
	add := func(f imap.Flag) {
		if !slices.Contains(flags, f) {
			flags = append(flags, f)
		}
	}
	flush := func() {
		v := strings.TrimSpace(value)
		switch strings.ToLower(name) {
		case "status":
			if strings.ContainsRune(v, 'R') {
				add(imap.FlagSeen)
			}
		case "x-status":
			for _, c := range v {
				if f, ok := map[rune]imap.Flag{'A': imap.FlagAnswered, 'F': imap.FlagFlagged, 'T': imap.FlagDraft, 'D': imap.FlagDeleted}[c]; ok {
					add(f)
				}
			}
		case "x-keywords":
			for _, k := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
				add(imap.Flag(k))
			}
		}
		name, value = "", ""
	}
	drop := false
	rest := raw
	for len(rest) > 0 {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line = rest[:i+1]
		}
		rest = rest[len(line):]
		if t := bytes.TrimRight(line, "\r\n"); len(t) == 0 {
			flush()
			out = append(out, line...)
			return append(out, rest...), flags // the body, untouched
		}
		if line[0] == ' ' || line[0] == '\t' {
			if drop {
				value += " " + string(bytes.TrimRight(line, "\r\n"))
			} else {
				out = append(out, line...)
			}
			continue
		}
		flush()
		n, v, _ := bytes.Cut(line, []byte(":"))
		drop = slices.ContainsFunc(mboxStatusHeaders, func(h string) bool { return strings.EqualFold(h, string(n)) })
		if !drop {
			out = append(out, line...)
			continue
		}
		name, value = string(n), string(bytes.TrimRight(v, "\r\n"))
	}
	flush()
	return out, flags
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
