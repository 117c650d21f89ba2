package fakeserver_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/imapprobe/imapprobe/fakeserver"
)

// observe is what an imapclient sees of user's mail over a real socket:
// LIST's names and attributes, then for each selectable mailbox SELECT's
// count and each message's FLAGS, INTERNALDATE and BODY[] bytes.
func observe(t *testing.T, srv *fakeserver.Server, user, pass string) string {
	t.Helper()
	c := dial(t, srv)
	if err := c.Login(user, pass).Wait(); err != nil {
		t.Fatalf("login %s: %v", user, err)
	}
	list, err := c.List("", "*", nil).Collect()
	if err != nil {
		t.Fatalf("LIST: %v", err)
	}
	var b strings.Builder
	for _, l := range list {
		fmt.Fprintf(&b, "LIST %s %v\n", l.Mailbox, l.Attrs)
	}
	for _, l := range list {
		if slices.Contains(l.Attrs, imap.MailboxAttrNoSelect) {
			continue
		}
		sel, err := c.Select(l.Mailbox, nil).Wait()
		if err != nil {
			t.Fatalf("SELECT %s: %v", l.Mailbox, err)
		}
		fmt.Fprintf(&b, "SELECT %s %d\n", l.Mailbox, sel.NumMessages)
		if sel.NumMessages == 0 {
			continue
		}
		body := &imap.FetchItemBodySection{Peek: true} // BODY[] would set \Seen
		msgs, err := c.Fetch(imap.SeqSet{{Start: 1, Stop: 0}},
			&imap.FetchOptions{Flags: true, InternalDate: true, BodySection: []*imap.FetchItemBodySection{body}}).Collect()
		if err != nil {
			t.Fatalf("FETCH in %s: %v", l.Mailbox, err)
		}
		for _, m := range msgs {
			fmt.Fprintf(&b, "  %d %v %s %q\n", m.SeqNum, m.Flags, m.InternalDate.UTC().Format(time.RFC3339), m.FindBodySection(body))
		}
	}
	return b.String()
}

// seedFileView is what good.json and good.yaml give alice. "\seen" in
// the file is \Seen on the wire, $Junk and MyKeyword keep their case,
// and bare LFs are CRLF.
const seedFileView = `LIST INBOX [\HasNoChildren]
LIST Projekte [\HasChildren]
LIST Projekte/Entwürfe [\HasNoChildren \Drafts]
LIST Sent [\HasNoChildren \Sent]
SELECT INBOX 2
  1 [\Seen $Junk MyKeyword] 2025-12-24T17:30:00Z "From: Bob <bob@example.test>\r\nTo: alice@example.test\r\nSubject: Hello\r\nMessage-ID: <seed-file-1@example.test>\r\n\r\nHi Alice.\r\n"
  2 [] 2026-03-02T10:15:00Z "From: Carol <carol@example.test>\r\nSubject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n\r\nNo flags, default date.\r\n"
SELECT Projekte 0
SELECT Projekte/Entwürfe 1
  1 [\Draft $Junk] 2026-03-02T10:00:00Z "Subject: draft\r\n\r\nnot yet\r\n"
SELECT Sent 0
`

// TestSeedFileRoundTrip: the JSON and YAML files, under both fresh-state
// scopes (a per-connection copy is built from the seed's recipe), give
// exactly seedFileView; bob's token logs in; the file's password is the
// one LOGIN takes.
func TestSeedFileRoundTrip(t *testing.T) {
	t.Parallel()
	for _, file := range []string{"good.json", "good.yaml"} {
		for _, fresh := range []fakeserver.FreshScope{fakeserver.PerServer, fakeserver.PerConnection} {
			t.Run(file+"/"+fresh.String(), func(t *testing.T) {
				t.Parallel()
				seed, err := fakeserver.LoadSeed(filepath.Join("testdata", "seed", file))
				if err != nil {
					t.Fatal(err)
				}
				srv := fakeserver.New(t, fakeserver.WithSeed(seed), fakeserver.WithFreshState(fresh))
				if got := observe(t, srv, "alice", "canary-s33d-json"); got != seedFileView {
					t.Errorf("alice sees:\n%s\nwant:\n%s", got, seedFileView)
				}
				c := dial(t, srv)
				if err := c.Login("alice", "canary-s33d-json").Wait(); err != nil {
					t.Fatal(err)
				}
				subs, err := c.List("", "*", &imap.ListOptions{SelectSubscribed: true}).Collect()
				if err != nil || len(subs) != 1 || subs[0].Mailbox != "Projekte" {
					t.Errorf("LIST (SUBSCRIBED) = %+v, %v; want Projekte alone", subs, err)
				}
				if got := srv.Token("bob"); got != "canary-t0ken-json" {
					t.Errorf("bob's token = %q", got)
				}
				var names []string
				for _, u := range srv.Users() {
					names = append(names, u.Name)
				}
				if want := []string{"alice", "bob"}; !slices.Equal(names, want) {
					t.Errorf("users = %v, want %v (no DefaultUser beside a seed's users)", names, want)
				}
			})
		}
	}
}

// TestSeedKeepsOtherUsersFixed: a WithUser the seed does not name gets
// the fixed seed; the seed's user gets only its own mail plus an empty
// INBOX, then WithMailbox's mailbox.
func TestSeedKeepsOtherUsersFixed(t *testing.T) {
	t.Parallel()
	seed := &fakeserver.Seed{Users: []fakeserver.SeedUser{{
		Name: "carol", Password: "canary-c4rol",
		Mailboxes: []fakeserver.SeedMailbox{{Name: "Notes", Messages: []fakeserver.SeedMessage{{Raw: []byte("Subject: n\n\nx\n"), Flags: []imap.Flag{`\FLAGGED`}}}}},
	}}}
	srv := fakeserver.New(t, fakeserver.WithUser("dave", "canary-d4ve"), fakeserver.WithSeed(seed),
		fakeserver.WithMailbox("carol", "Later"))
	want := `LIST INBOX [\HasNoChildren]
LIST Later [\HasNoChildren]
LIST Notes [\HasNoChildren]
SELECT INBOX 0
SELECT Later 0
SELECT Notes 1
  1 [\Flagged] 2026-03-02T09:15:00Z "Subject: n\r\n\r\nx\r\n"
`
	if got := observe(t, srv, "carol", "canary-c4rol"); got != want {
		t.Errorf("carol sees:\n%s\nwant:\n%s", got, want)
	}
	c := dial(t, srv)
	if err := c.Login("dave", "canary-d4ve").Wait(); err != nil {
		t.Fatal(err)
	}
	st, err := c.Status("INBOX", &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if *st.NumMessages != fakeserver.SeededInbox {
		t.Errorf("dave's INBOX has %d messages, want the fixed seed's %d", *st.NumMessages, fakeserver.SeededInbox)
	}
}

// TestMboxRoundTrip: two messages from the "From " lines' dates, one
// ">" gone from each escaped line, the separating blank line dropped.
func TestMboxRoundTrip(t *testing.T) {
	t.Parallel()
	seed, err := fakeserver.LoadSeed(filepath.Join("testdata", "seed", "archive.mbox"))
	if err != nil {
		t.Fatal(err)
	}
	srv := fakeserver.New(t, fakeserver.WithSeed(seed))
	name, pass := srv.User()
	want := `LIST INBOX [\HasNoChildren]
LIST archive [\HasNoChildren]
SELECT INBOX 0
SELECT archive 2
  1 [] 2026-03-02T09:15:00Z "From: alice@example.test\r\nSubject: first\r\n\r\nFrom here on, an escaped line (mboxo and mboxrd).\r\n>From this one is mboxrd's double escape.\r\n"
  2 [] 2026-03-03T10:00:00Z "Subject: second\r\n\r\nLast line.\r\n"
`
	if got := observe(t, srv, name, pass); got != want {
		t.Errorf("sees:\n%s\nwant:\n%s", got, want)
	}
}

// TestMboxStatusFlags: Status, X-Status and X-Keywords (folded) become
// flags and leave the message, as in Dovecot; the body keeps its own.
func TestMboxStatusFlags(t *testing.T) {
	t.Parallel()
	mb, err := fakeserver.LoadMbox(filepath.Join("testdata", "seed", "flags.mbox"), "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	srv := fakeserver.New(t, fakeserver.WithSeed(&fakeserver.Seed{Users: []fakeserver.SeedUser{{Mailboxes: []fakeserver.SeedMailbox{mb}}}}))
	name, pass := srv.User()
	want := `LIST INBOX [\HasNoChildren]
SELECT INBOX 2
  1 [\Answered \Flagged \Seen $Label1 Work Later] 2026-03-04T08:00:00Z "From: a@example.test\r\nSubject: read and answered\r\n\r\nBody\r\nStatus: RO stays in the body.\r\n"
  2 [] 2026-03-04T09:00:00Z "Subject: unread\r\n\r\nNew.\r\n"
`
	if got := observe(t, srv, name, pass); got != want {
		t.Errorf("sees:\n%s\nwant:\n%s", got, want)
	}
}

// writeMaildir lays out a Maildir++ in a temporary directory (file names
// with ":" cannot live in a Go module) with fixed modification times.
func writeMaildir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	mtime := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range files {
			if !yield(n) {
				return
			}
		}
	})
	for i, n := range names {
		p := filepath.Join(dir, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(files[n]), 0o644); err != nil {
			t.Fatal(err)
		}
		at := mtime.Add(time.Duration(i) * time.Minute)
		if err := os.Chtimes(p, at, at); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestMaildirRoundTrip: INBOX from cur/ and new/ in file-name order,
// ".Projekte.Entw&APw-rfe" as Projekte/Entwürfe under a \Noselect
// parent, Dovecot's special use on Sent, flags from ":2,", a keyword
// letter from dovecot-keywords in its case, the mtime as INTERNALDATE.
func TestMaildirRoundTrip(t *testing.T) {
	t.Parallel()
	dir := writeMaildir(t, map[string]string{
		"cur/1700000001.M1P1.host:2,FS":                  "Subject: one\n\nseen and flagged\n",
		"cur/1700000002.M2P1.host:2,RTab":                "Subject: two\n\nanswered, deleted, two keywords\n",
		"new/1700000003.M3P1.host":                       "Subject: three\n\nnew\n",
		"dovecot-keywords":                               "0 $Junk\n1 Work\n",
		".Projekte.Entw&APw-rfe/cur/1700000004.M4.h:2,D": "Subject: four\n\ndraft\n",
		".Projekte.Entw&APw-rfe/new/.keep":               "",
		".Sent/cur/1700000005.M5.h:2,S":                  "Subject: five\n\nsent\n",
		"dovecot-uidlist":                                "3 V1 N4\n",
	})
	seed, err := fakeserver.LoadSeed(dir)
	if err != nil {
		t.Fatal(err)
	}
	srv := fakeserver.New(t, fakeserver.WithSeed(seed), fakeserver.WithUser("erin", "canary-m4ildir"))
	want := `LIST INBOX [\HasNoChildren]
LIST Projekte [\Noselect \HasChildren]
LIST Projekte/Entwürfe [\HasNoChildren]
LIST Sent [\HasNoChildren \Sent]
SELECT INBOX 3
  1 [\Flagged \Seen] 2026-01-05T08:03:00Z "Subject: one\r\n\r\nseen and flagged\r\n"
  2 [\Answered \Deleted $Junk Work] 2026-01-05T08:04:00Z "Subject: two\r\n\r\nanswered, deleted, two keywords\r\n"
  3 [] 2026-01-05T08:07:00Z "Subject: three\r\n\r\nnew\r\n"
SELECT Projekte/Entwürfe 1
  1 [\Draft] 2026-01-05T08:00:00Z "Subject: four\r\n\r\ndraft\r\n"
SELECT Sent 1
  1 [\Seen] 2026-01-05T08:02:00Z "Subject: five\r\n\r\nsent\r\n"
`
	if got := observe(t, srv, "erin", "canary-m4ildir"); got != want {
		t.Errorf("erin sees:\n%s\nwant:\n%s", got, want)
	}
}

// TestLoadMboxNamed: the caller names the mailbox, nested or INBOX in any
// case; without a name it is the file's.
func TestLoadMboxNamed(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, want string }{{"", "archive"}, {"Archiv/2025", "Archiv/2025"}, {"inbox", "INBOX"}} {
		mb, err := fakeserver.LoadMbox(filepath.Join("testdata", "seed", "archive.mbox"), tc.name)
		if err != nil {
			t.Fatal(err)
		}
		if mb.Name != tc.want || len(mb.Messages) != 2 {
			t.Errorf("LoadMbox(%q): mailbox %q with %d messages, want %q with 2", tc.name, mb.Name, len(mb.Messages), tc.want)
		}
	}
}
