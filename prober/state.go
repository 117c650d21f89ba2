package prober

import (
	"bufio"

	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/imapprobe/imapprobe/internal/wiretap"
)

// session is what one step hands to the next: the connection as far as it
// got and what the server has said. A step receives it by value and returns
// the changed copy; the probe keeps what a step returns only if the step
// finished, since an abandoned step's goroutine may still hold it.
type session struct {
	addrs  []string // resolve's answer, for connect
	wire   *wire    // the hand-driven connection: TCP, then TLS
	tls    tlsState
	server serverState
	imap   clientState // imapclient over wire, from the first step that needs it
	mbox   mailboxState
}

// wire is the plaintext-IMAP layer the hand-driven steps talk on: the
// transcript tap and a line reader above it.
type wire struct {
	tap  *wiretap.Conn
	br   *bufio.Reader
	tagN int
}

// tlsState is the negotiated TLS, once on.
type tlsState struct {
	on      bool
	version uint16
}

// serverState is what the server said about the session.
type serverState struct {
	caps    capSet
	preauth bool // the greeting was PREAUTH
	authed  bool // the auth step logged in by hand
}

// clientState is imapclient and the connection it reads from.
type clientState struct {
	client *imapclient.Client
	feed   *clientConn
}

// mailboxState is what LIST and SELECT found.
type mailboxState struct {
	names    []string // LIST names kept for hints
	listed   bool     // LIST succeeded
	count    int      // with this many names
	messages uint32   // EXISTS of the selected mailbox
}
