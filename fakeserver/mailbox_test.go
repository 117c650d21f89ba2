package fakeserver_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"

	"github.com/imapprobe/imapprobe/fakeserver"
)

// TestMailboxAPI: WithMailbox and CreateMailbox make mailboxes that
// imapclient lists under their UTF-8 names (modified UTF-7 on the wire),
// nested or not, with their special-use attributes; Append reaches them.
func TestMailboxAPI(t *testing.T) {
	t.Parallel()
	srv := fakeserver.New(t,
		fakeserver.WithMailbox(fakeserver.DefaultUser, "Entwürfe", imap.MailboxAttrDrafts),
		fakeserver.WithMailbox(fakeserver.DefaultUser, "Projekte/日本語/Größe"))
	if err := srv.CreateMailbox(fakeserver.DefaultUser, "Kunden/Müller"); err != nil {
		t.Fatal(err)
	}
	for _, mb := range []string{"Entwürfe", "Projekte/日本語/Größe", "Kunden/Müller"} {
		if err := srv.Append(fakeserver.DefaultUser, mb, []byte("Subject: to "+mb+"\r\n\r\nhi\r\n")); err != nil {
			t.Fatalf("Append to %s: %v", mb, err)
		}
	}
	c := login(t, srv)
	list, err := c.List("", "*", &imap.ListOptions{ReturnSpecialUse: true, ReturnStatus: &imap.StatusOptions{NumMessages: true}}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, l := range list {
		attrs := make([]string, len(l.Attrs))
		for i, a := range l.Attrs {
			attrs[i] = string(a)
		}
		n := "-"
		if l.Status != nil && l.Status.NumMessages != nil {
			n = strings.Repeat("m", int(*l.Status.NumMessages))
		}
		got[l.Mailbox] = strings.Join(attrs, " ") + " " + n
	}
	want := map[string]string{
		"Entwürfe":           `\Drafts m`, // no RETURN (CHILDREN): no child attributes, as Dovecot
		"Projekte":           `\NonExistent -`,
		"Projekte/日本語":       `\NonExistent -`,
		"Projekte/日本語/Größe": ` m`,
		"Kunden":             `\NonExistent -`,
		"Kunden/Müller":      ` m`,
		"INBOX":              ` mmm`,
		"Archive/2025":       ` m`,
		"Archive":            `\Archive `,
		"Sent":               `\Sent m`,
		"Drafts":             `\Drafts `,
		"Trash":              `\Trash `,
		"Junk":               `\Junk `,
	}
	for name, w := range want {
		if g, ok := got[name]; !ok || strings.TrimSpace(g) != strings.TrimSpace(w) {
			t.Errorf("LIST %s: got %q (listed %v), want %q", name, g, ok, w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("LIST gave %d mailboxes, want %d: %v", len(got), len(want), got)
	}
	sel, err := c.Select("Projekte/日本語/Größe", nil).Wait()
	if err != nil || sel.NumMessages != 1 {
		t.Fatalf("SELECT the nested non-ASCII mailbox: %+v, %v; want 1 message", sel, err)
	}
}

// TestMailboxAPIErrors: each misuse fails with an error naming the problem.
func TestMailboxAPIErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []fakeserver.Option
		want string
	}{
		{"unknown user", []fakeserver.Option{fakeserver.WithMailbox("bob", "X")}, `WithMailbox "X": no user "bob" (add it with WithUser)`},
		{"not special-use", []fakeserver.Option{fakeserver.WithMailbox(fakeserver.DefaultUser, "X", imap.MailboxAttrNoSelect)}, `WithMailbox "X": "\\Noselect" is not a special-use attribute`},
		{"empty level", []fakeserver.Option{fakeserver.WithMailbox(fakeserver.DefaultUser, "a//b")}, `WithMailbox: mailbox "a//b": empty level between "/" delimiters`},
		{"wildcard", []fakeserver.Option{fakeserver.WithRestrictedMailbox("No*")}, `WithRestrictedMailbox: mailbox "No*": contains a wildcard or control character`},
		{"seeded twice", []fakeserver.Option{fakeserver.WithMailbox(fakeserver.DefaultUser, "Sent")}, `WithMailbox "Sent": imap: NO [ALREADYEXISTS] Mailbox already exists`},
		{"fresh scope", []fakeserver.Option{fakeserver.WithFreshState(7)}, `unknown fresh-state scope FreshScope(7)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, err := fakeserver.Start(tt.opts...)
			if err == nil {
				srv.Close()
				t.Fatalf("Start succeeded, want %q", tt.want)
			}
			if err.Error() != tt.want {
				t.Fatalf("Start: %q, want %q", err, tt.want)
			}
		})
	}

	srv := fakeserver.New(t)
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"Append to a missing mailbox", srv.Append(fakeserver.DefaultUser, "Nope", []byte("Subject: x\r\n\r\n")),
			`fakeserver: user alice has no mailbox "Nope": create it first with CreateMailbox or WithMailbox`},
		{"Append for a missing user", srv.Append("bob", "INBOX", nil), `fakeserver: no user "bob"`},
		{"CreateMailbox twice", srv.CreateMailbox(fakeserver.DefaultUser, "INBOX"), `fakeserver: create "INBOX" for alice: imap: NO [ALREADYEXISTS] Mailbox already exists`},
		{"CreateMailbox bad name", srv.CreateMailbox(fakeserver.DefaultUser, "/x"), `fakeserver: mailbox "/x": empty level between "/" delimiters`},
	} {
		if tc.err == nil || tc.err.Error() != tc.want {
			t.Errorf("%s: %v, want %q", tc.name, tc.err, tc.want)
		}
	}
}

// TestRestrictedOptIn: without WithRestrictedMailbox there is no
// Restricted, and SELECT of that name is an ordinary NONEXISTENT; with it,
// under any name, the mailbox is listed and refuses SELECT and STATUS.
func TestRestrictedOptIn(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, mailbox string
		opts          []fakeserver.Option
		code          imap.ResponseCode
	}{
		{"default", "Restricted", nil, imap.ResponseCodeNonExistent},
		{"opted in", "Geheim/Ärger", []fakeserver.Option{fakeserver.WithRestrictedMailbox("Geheim/Ärger")}, imap.ResponseCodeNoPerm},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := fakeserver.New(t, tt.opts...)
			c := login(t, srv)
			list, err := c.List("", tt.mailbox, nil).Collect()
			if err != nil {
				t.Fatal(err)
			}
			if listed := len(list) == 1; listed != (tt.code == imap.ResponseCodeNoPerm) {
				t.Errorf("LIST %s: %d entries", tt.mailbox, len(list))
			}
			_, err = c.Select(tt.mailbox, nil).Wait()
			var ie *imap.Error
			if !errors.As(err, &ie) || ie.Type != imap.StatusResponseTypeNo || ie.Code != tt.code {
				t.Errorf("SELECT %s: %v, want NO [%s]", tt.mailbox, err, tt.code)
			}
			_, err = c.Status(tt.mailbox, &imap.StatusOptions{NumMessages: true}).Wait()
			if !errors.As(err, &ie) || ie.Code != tt.code {
				t.Errorf("STATUS %s: %v, want NO [%s]", tt.mailbox, err, tt.code)
			}
		})
	}
}

// TestSeedMessageIDsUnique: no two seeded messages share a Message-ID,
// within a user or across users, and each is a valid msg-id.
func TestSeedMessageIDsUnique(t *testing.T) {
	t.Parallel()
	users := []string{"alice", "bob", "carol@example.org", "dave example"}
	var opts []fakeserver.Option
	for _, u := range users {
		opts = append(opts, fakeserver.WithUser(u, ""))
	}
	srv := fakeserver.New(t, append(opts, fakeserver.WithMessages(2))...)
	msgID := regexp.MustCompile(`(?m)^Message-ID: (<[A-Za-z0-9._-]+@example\.test>)\r$`)
	seen := map[string]string{}
	for _, cred := range srv.Users() {
		c := dial(t, srv)
		if err := c.Login(cred.Name, cred.Password).Wait(); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, mb := range []string{"INBOX", "Sent", "Archive/2025"} {
			if _, err := c.Select(mb, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
				t.Fatal(err)
			}
			section := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, Peek: true}
			msgs, err := c.Fetch(imap.SeqSetNum(1, 2, 3, 4, 5), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{section}}).Collect()
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range msgs {
				ids := msgID.FindAllSubmatch(m.FindBodySection(section), -1)
				if len(ids) != 1 {
					t.Fatalf("%s %s #%d: %d Message-ID fields", cred.Name, mb, m.SeqNum, len(ids))
				}
				id := string(ids[0][1])
				if prev, dup := seen[id]; dup {
					t.Errorf("%s is %s and %s %s #%d", id, prev, cred.Name, mb, m.SeqNum)
				}
				seen[id] = cred.Name + " " + mb
				n++
			}
		}
		if want := fakeserver.SeededInbox + 2 + 2; n != want { // WithMessages(2), Sent, Archive/2025
			t.Errorf("%s: %d messages, want %d", cred.Name, n, want)
		}
	}
	if len(seen) != 7*len(users) {
		t.Errorf("%d distinct Message-IDs, want %d", len(seen), 7*len(users))
	}
}
