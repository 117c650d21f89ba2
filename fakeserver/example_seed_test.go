package fakeserver_test

import (
	"fmt"
	"log"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/imapprobe/imapprobe/fakeserver"
)

// A seed built in Go: a user, a nested non-ASCII mailbox with a
// special-use attribute, and a message with a system flag and a keyword
// (served in the seed's case) and an internal date. LoadSeed reads the
// same from a JSON or YAML file, a Maildir or an mbox file.
func ExampleWithSeed() {
	seed := &fakeserver.Seed{Users: []fakeserver.SeedUser{{
		Name:     "alice",
		Password: "canary-example",
		Mailboxes: []fakeserver.SeedMailbox{{
			Name: "Projekte",
			Mailboxes: []fakeserver.SeedMailbox{{
				Name:       "Entwürfe",
				SpecialUse: []imap.MailboxAttr{imap.MailboxAttrDrafts},
				Messages: []fakeserver.SeedMessage{{
					Raw:          []byte("Subject: Angebot\n\nEntwurf.\n"),
					Flags:        []imap.Flag{imap.FlagDraft, "$Label1"},
					InternalDate: time.Date(2026, 3, 2, 9, 15, 0, 0, time.UTC),
				}},
			}},
		}},
	}}}
	srv, err := fakeserver.Start(fakeserver.WithSeed(seed))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	c := exampleLogin(srv)
	defer c.Close()
	list, err := c.List("", "*", nil).Collect()
	if err != nil {
		log.Fatal(err)
	}
	for _, l := range list {
		fmt.Println(l.Mailbox, l.Attrs)
	}
	if _, err := c.Select("Projekte/Entwürfe", nil).Wait(); err != nil {
		log.Fatal(err)
	}
	msgs, err := c.Fetch(imap.SeqSetNum(1), &imap.FetchOptions{Flags: true, InternalDate: true, RFC822Size: true}).Collect()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(msgs[0].Flags, msgs[0].InternalDate.UTC(), msgs[0].RFC822Size)
	// Output:
	// INBOX [\HasNoChildren]
	// Projekte [\HasChildren]
	// Projekte/Entwürfe [\HasNoChildren \Drafts]
	// [\Draft $Label1] 2026-03-02 09:15:00 +0000 UTC 30
}

// A seed file's mistake is one line: the file, the field's path and
// line, and what is wrong; a secret is never quoted.
func ExampleParseSeed() {
	_, err := fakeserver.ParseSeed("seed.yaml", []byte("users:\n  - name: alice\n    password: 12345\n"))
	fmt.Println(err)
	seed, err := fakeserver.LoadSeed("testdata/seed/good.yaml")
	if err != nil {
		log.Fatal(err)
	}
	for _, u := range seed.Users {
		fmt.Println(u.Name, u.Password, len(u.Mailboxes))
	}
	// Output:
	// seed.yaml: users[0].password (line 3): want a quoted string
	// alice <hidden> 3
	// bob <hidden> 0
}
