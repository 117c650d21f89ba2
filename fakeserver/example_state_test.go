package fakeserver_test

import (
	"fmt"
	"log"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/faults"
)

// New mail arrives while the client idles: the fake delivers a message to
// INBOX, and imapmemserver tells the idling session with "* 4 EXISTS".
func Example_newMailDuringIdle() {
	srv, err := fakeserver.Start(fakeserver.WithFaults(faults.MustParse("newmail:IDLE=INBOX")))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	exists := make(chan uint32, 1)
	c, err := imapclient.DialTLS(srv.Addr(), &imapclient.Options{
		TLSConfig: srv.TLSConfig(),
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(data *imapclient.UnilateralDataMailbox) {
				if data.NumMessages != nil {
					exists <- *data.NumMessages
				}
			},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	user, pass := srv.User()
	if err := c.Login(user, pass).Wait(); err != nil {
		log.Fatal(err)
	}
	data, err := c.Select("INBOX", nil).Wait()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("selected:", data.NumMessages)
	idle, err := c.Idle()
	if err != nil {
		log.Fatal(err)
	}
	select {
	case n := <-exists:
		fmt.Println("EXISTS in IDLE:", n)
	case <-time.After(5 * time.Second):
		fmt.Println("no EXISTS")
	}
	_ = idle.Close()
	_ = idle.Wait()
	// Output:
	// selected: 3
	// EXISTS in IDLE: 4
}
