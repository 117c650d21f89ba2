package fakeserver

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-imap/v2"
	"github.com/google/go-cmp/cmp"
)

// seedJSON writes a Seed as the JSON a seed file holds, secrets and all.
func seedJSON(t *testing.T, sd *Seed) []byte {
	t.Helper()
	var boxes func([]SeedMailbox) []any
	boxes = func(mbs []SeedMailbox) []any {
		out := []any{}
		for _, mb := range mbs {
			m := map[string]any{"name": mb.Name, "subscribed": mb.Subscribed}
			if mb.SpecialUse != nil {
				m["special_use"] = mb.SpecialUse
			}
			if mb.Mailboxes != nil {
				m["mailboxes"] = boxes(mb.Mailboxes)
			}
			if mb.Messages != nil {
				var msgs []any
				for _, msg := range mb.Messages {
					mm := map[string]any{"raw": string(msg.Raw)}
					if msg.Flags != nil {
						mm["flags"] = msg.Flags
					}
					if !msg.InternalDate.IsZero() {
						mm["internal_date"] = msg.InternalDate.Format(time.RFC3339Nano)
					}
					msgs = append(msgs, mm)
				}
				m["messages"] = msgs
			}
			out = append(out, m)
		}
		return out
	}
	users := []any{}
	for _, u := range sd.Users {
		m := map[string]any{"name": u.Name, "password": string(u.Password)}
		if u.Tokens != nil {
			var ts []string
			for _, tok := range u.Tokens {
				ts = append(ts, string(tok))
			}
			m["tokens"] = ts
		}
		if u.Mailboxes != nil {
			m["mailboxes"] = boxes(u.Mailboxes)
		}
		users = append(users, m)
	}
	b, err := json.Marshal(map[string]any{"users": users})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzParseSeed: any JSON or YAML either fails with one line naming the
// file, or gives a Seed that, written back as JSON, parses to itself.
func FuzzParseSeed(f *testing.F) {
	for _, s := range []string{
		`{"users": [{"name": "alice", "password": "p", "tokens": ["t"], "mailboxes": [{"name": "INBOX", "subscribed": true, "special_use": ["Sent"], "messages": [{"raw": "Subject: x\n\ny\n", "flags": ["\\Seen", "$Junk"], "internal_date": "2026-03-02T09:15:00+01:00"}], "mailboxes": [{"name": "Sub"}]}]}]}`,
		"users:\n  - name: a\n    mailboxes:\n      - name: Entwürfe\n        messages:\n          - raw: |\n              Subject: y\n\n              z\n            flags: ['\\Draft', Work]\n            internal_date: 02-Mar-2026 10:00:00 +0000\n",
		`{"users": [{"name": "a", "password": 1}]}`,
		"users: [{name: a, mailboxes: [{name: X, subscribed: yes}]}]",
		`{"users": [{"mailboxes": [{"name": "A/B"}, {"name": "A", "mailboxes": [{"name": "B"}]}]}]}`,
		"{\"users\": [\n", "&a [*a]", "",
	} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, data string, asJSON bool) {
		if len(data) > 8192 {
			return
		}
		name := "f.yaml"
		if asJSON {
			name = "f.json"
		}
		sd, err := ParseSeed(name, []byte(data))
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, name+": ") || strings.ContainsAny(msg, "\r\n") {
				t.Fatalf("error is not one line naming the file: %q", msg)
			}
			return
		}
		for _, u := range sd.Users {
			if !utf8.ValidString(u.Name+string(u.Password)) || walkSeedBoxes("", u.Mailboxes, func(n string, mb *SeedMailbox) error {
				for _, m := range mb.Messages {
					if !utf8.Valid(m.Raw) {
						return errInvalidUTF8
					}
				}
				return nil
			}) != nil {
				return // JSON cannot carry invalid UTF-8 back
			}
		}
		again, err := ParseSeed("again.json", seedJSON(t, sd))
		if err != nil {
			t.Fatalf("the seed written back does not parse: %v", err)
		}
		if d := cmp.Diff(normSeed(sd), normSeed(again)); d != "" {
			t.Fatalf("written back and parsed, the seed differs (-first +again):\n%s", d)
		}
	})
}

var errInvalidUTF8 = &SeedError{Msg: "invalid UTF-8"}

// normSeed makes nil and empty lists alike and dates comparable.
func normSeed(sd *Seed) *Seed {
	out := &Seed{}
	var boxes func([]SeedMailbox) []SeedMailbox
	boxes = func(mbs []SeedMailbox) []SeedMailbox {
		var out []SeedMailbox
		for _, mb := range mbs {
			mb.Mailboxes = boxes(mb.Mailboxes)
			var msgs []SeedMessage
			for _, m := range mb.Messages {
				if len(m.Flags) == 0 {
					m.Flags = nil
				}
				m.InternalDate = m.InternalDate.UTC()
				msgs = append(msgs, m)
			}
			mb.Messages = msgs
			if len(mb.SpecialUse) == 0 {
				mb.SpecialUse = nil
			}
			out = append(out, mb)
		}
		return out
	}
	for _, u := range sd.Users {
		if len(u.Tokens) == 0 {
			u.Tokens = nil
		}
		u.Mailboxes = boxes(u.Mailboxes)
		out.Users = append(out.Users, u)
	}
	return out
}

// FuzzMaildirInfo: the flags of a file name are the five system flags
// and keywords of dovecot-keywords, each at most once per letter, and a
// folder name decodes to a valid mailbox name or an error.
func FuzzMaildirInfo(f *testing.F) {
	for _, s := range []string{"1.M1.h:2,FS", "1.M1.h:2,RTabP", "1.M1.h", "1.M1.h:1,xyz", "1:2,", "1.M1.h:2,SX", "1.M1.h:2,z"} {
		f.Add(s, ".Projekte.Entw&APw-rfe")
	}
	f.Add("x", ".A&-B..C")
	f.Add("x", ".&Jjo-&ZeVnLIqe-")
	f.Fuzz(func(t *testing.T, name, folder string) {
		keywords := []string{"$Junk", "Work"}
		flags, err := maildirFlags(name, keywords)
		if err == nil {
			i := strings.LastIndex(name, ":2,")
			if i < 0 && len(flags) > 0 {
				t.Fatalf("%q: flags %v without \":2,\"", name, flags)
			}
			if i >= 0 && len(flags) > len(name)-i-3 {
				t.Fatalf("%q: %d flags from %d letters", name, len(flags), len(name)-i-3)
			}
			for _, fl := range flags {
				if canonicalSystemFlag(string(fl)) != string(fl) && !slices.Contains(keywords, string(fl)) {
					t.Fatalf("%q: flag %q is neither a system flag nor a keyword", name, fl)
				}
			}
		}
		mb, err := maildirFolderName(folder)
		if err != nil {
			return
		}
		if !utf8.ValidString(mb) || checkMailboxName(mb) != nil || strings.Count(mb, "/") != strings.Count(folder, ".")-1 {
			t.Fatalf("folder %q: mailbox %q", folder, mb)
		}
	})
}

// mboxrd writes bodies as an mboxrd file: a "From " line each, every
// line that matches ">*From " escaped with one more ">", a blank line
// after each.
func mboxrd(bodies [][]byte) []byte {
	var b bytes.Buffer
	for _, body := range bodies {
		b.WriteString("From fuzz@example.test Mon Mar  2 09:15:00 2026\n")
		for _, line := range bytes.SplitAfter(body, []byte("\n")) {
			if i := bytes.IndexFunc(line, func(r rune) bool { return r != '>' }); i >= 0 && bytes.HasPrefix(line[i:], []byte("From ")) {
				b.WriteByte('>')
			}
			b.Write(line)
		}
		b.WriteString("\n")
	}
	return b.Bytes()
}

// FuzzSplitMbox: messages written as mboxrd split back to themselves,
// with the From line's date; any other input splits or fails, without
// a panic.
func FuzzSplitMbox(f *testing.F) {
	f.Add([]byte("Subject: a\n\nFrom me\n>From you\n\x00Subject: b\r\n\r\nx\r\n"))
	f.Add([]byte("\n\x00\r\n\x00From \n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 8192 {
			return
		}
		_, _ = splitMbox(data) // any input: no panic
		// The state headers go; nothing is added, and the body stays.
		stripped, _ := mboxStatus(data)
		if len(stripped) > len(data) {
			t.Fatalf("mboxStatus grew %q to %q", data, stripped)
		}
		for _, sep := range []string{"\n\n", "\r\n\r\n", "\n\r\n"} {
			if i := bytes.Index(data, []byte(sep)); i >= 0 && !bytes.HasSuffix(stripped, data[i+len(sep):]) {
				t.Fatalf("mboxStatus changed the body of %q: %q", data, stripped)
			}
		}
		var bodies [][]byte
		for _, body := range bytes.Split(data, []byte{0}) {
			if len(body) == 0 {
				continue
			}
			if !bytes.HasSuffix(body, []byte("\n")) {
				body = append(body, '\n')
			}
			bodies = append(bodies, body)
		}
		msgs, err := splitMbox(mboxrd(bodies))
		if err != nil {
			t.Fatalf("split: %v", err)
		}
		if len(msgs) != len(bodies) {
			t.Fatalf("%d messages, want %d", len(msgs), len(bodies))
		}
		want := time.Date(2026, 3, 2, 9, 15, 0, 0, time.UTC)
		for i, m := range msgs {
			if !bytes.Equal(m.raw, bodies[i]) || !m.date.Equal(want) {
				t.Fatalf("message %d = %q at %v, want %q at %v", i, m.raw, m.date, bodies[i], want)
			}
		}
	})
}

// seedFlagsKeepCase: a keyword keeps its case, a system flag is canonical.
func TestSeedFlagsCanonical(t *testing.T) {
	t.Parallel()
	got := seedFlags([]imap.Flag{`\SEEN`, `\flagged`, `$Junk`, `MyKeyword`})
	want := []imap.Flag{imap.FlagSeen, imap.FlagFlagged, `$Junk`, `MyKeyword`}
	if !slices.Equal(got, want) {
		t.Errorf("seedFlags = %v, want %v", got, want)
	}
}
