package fakeserver_test

import (
	"fmt"
	"log"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/imapprobe/imapprobe/fakeserver"
)

// exampleLogin logs an imapclient in as the server's first user.
func exampleLogin(srv *fakeserver.Server) *imapclient.Client {
	c, err := imapclient.DialTLS(srv.Addr(), &imapclient.Options{TLSConfig: srv.TLSConfig()})
	if err != nil {
		log.Fatal(err)
	}
	user, pass := srv.User()
	if err := c.Login(user, pass).Wait(); err != nil {
		log.Fatal(err)
	}
	return c
}

// A nested, non-ASCII mailbox with a special-use attribute; its missing
// parent is listed as \Noselect, as Dovecot lists it.
func ExampleWithMailbox() {
	srv, err := fakeserver.Start(fakeserver.WithMailbox(fakeserver.DefaultUser, "Projekte/Entwürfe", imap.MailboxAttrDrafts))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	c := exampleLogin(srv)
	defer c.Close()
	list, err := c.List("", "Projekte*", nil).Collect()
	if err != nil {
		log.Fatal(err)
	}
	for _, l := range list {
		fmt.Println(l.Mailbox, l.Attrs)
	}
	// Output:
	// Projekte [\Noselect \HasChildren]
	// Projekte/Entwürfe [\HasNoChildren \Drafts]
}

// CreateMailbox and Append on a running server; Append to a mailbox that
// does not exist is an error, not a new mailbox.
func ExampleServer_CreateMailbox() {
	srv, err := fakeserver.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	fmt.Println(srv.Append(fakeserver.DefaultUser, "Kunden", []byte("Subject: hi\r\n\r\nhello\r\n")))
	if err := srv.CreateMailbox(fakeserver.DefaultUser, "Kunden"); err != nil {
		log.Fatal(err)
	}
	fmt.Println(srv.Append(fakeserver.DefaultUser, "Kunden", []byte("Subject: hi\r\n\r\nhello\r\n")))
	c := exampleLogin(srv)
	defer c.Close()
	st, err := c.Status("Kunden", &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(*st.NumMessages)
	// Output:
	// fakeserver: user alice has no mailbox "Kunden": create it first with CreateMailbox or WithMailbox
	// <nil>
	// 1
}

// Server.Append adds to any existing mailbox of the seed.
func ExampleServer_Append() {
	srv, err := fakeserver.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	if err := srv.Append(fakeserver.DefaultUser, "Archive", []byte("Subject: kept\r\n\r\nfor later\r\n")); err != nil {
		log.Fatal(err)
	}
	c := exampleLogin(srv)
	defer c.Close()
	st, err := c.Status("Archive", &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(*st.NumMessages)
	// Output:
	// 1
}

// Under PerConnection one connection's EXPUNGE stays its own: the next
// connection sees the whole seed again.
func ExampleWithFreshState() {
	srv, err := fakeserver.Start(fakeserver.WithFreshState(fakeserver.PerConnection))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	first := exampleLogin(srv)
	if _, err := first.Select("INBOX", nil).Wait(); err != nil {
		log.Fatal(err)
	}
	if err := first.Store(imap.SeqSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagDeleted}, Silent: true}, nil).Close(); err != nil {
		log.Fatal(err)
	}
	if err := first.Expunge().Close(); err != nil {
		log.Fatal(err)
	}
	first.Close()

	next := exampleLogin(srv)
	defer next.Close()
	st, err := next.Status("INBOX", &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(*st.NumMessages == fakeserver.SeededInbox)
	// Output:
	// true
}

// A mailbox that LIST shows and SELECT refuses, for a client's handling
// of a folder it may not read.
func ExampleWithRestrictedMailbox() {
	srv, err := fakeserver.Start(fakeserver.WithRestrictedMailbox("Shared/Board"))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	c := exampleLogin(srv)
	defer c.Close()
	_, err = c.Select("Shared/Board", nil).Wait()
	fmt.Println(err)
	// Output:
	// imap: NO [NOPERM] Permission denied
}
