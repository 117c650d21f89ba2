package fakeserver_test

import (
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/imapprobe/imapprobe/faults"
)

// TestGreeting reads the exact bytes each greeting fault sends, and how the
// connection goes on: closed (EOF) or silent (read deadline).
func TestGreeting(t *testing.T) {
	t.Parallel()
	tests := []struct {
		spec   string
		want   string
		silent bool // else the server closes
	}{
		{"greeting:bye", faults.ByeGreeting + "\r\n", false},
		{"greeting:silence", "", true},
		{"greeting:pop3", faults.POP3Greeting, true},
		{"greeting:smtp", faults.SMTPGreeting, true},
		{"greeting:http", faults.HTTPGreeting, false},
		{"greeting:random", string(faults.RandomGreeting()), false},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			t.Parallel()
			srv := plainServer(t, tt.spec)
			r := dialRaw(t, srv.Addr(), nil)
			// The expected bytes get the full deadline (a loaded machine
			// may be slow to send them); only the silence after them is
			// timed short.
			head := make([]byte, len(tt.want))
			if _, err := io.ReadFull(r.br, head); err != nil || string(head) != tt.want {
				t.Fatalf("got %q, %v; want %q", head, err, tt.want)
			}
			_ = r.nc.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
			got, err := r.rest()
			timedOut := errors.Is(err, os.ErrDeadlineExceeded)
			if len(got) != 0 || timedOut != tt.silent || (!timedOut && err != nil) {
				t.Fatalf("then %q, %v; want nothing more, silent=%v", got, err, tt.silent)
			}
		})
	}
}

func TestGreetingText(t *testing.T) {
	t.Parallel()
	const text = "* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] Dovecot ready."
	srv := plainServer(t, "greeting:text="+text)
	r := dialRaw(t, srv.Addr(), nil)
	if got := r.line(); got != text+"\r\n" {
		t.Fatalf("greeting %q", got)
	}
	r.loginRaw(srv) // the session behind it works
}

func TestGreetingPreAuth(t *testing.T) {
	t.Parallel()
	srv := tlsServer(t, "greeting:preauth")
	c := dial(t, srv)
	if st := c.State(); st != imap.ConnStateAuthenticated {
		t.Fatalf("state %v, want authenticated", st)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	c.Close()
	recs := waitEnded(t, srv, 1)
	if recs[0].User != "alice" || strings.Join(firedSpecs(t, srv), ",") != "greeting:greeting:preauth" {
		t.Fatalf("record %+v", recs[0])
	}
}

// TestGreetingBYEWithClient: imapclient reports a BYE greeting as an
// *imap.Error of type BYE.
func TestGreetingBYEWithClient(t *testing.T) {
	t.Parallel()
	srv := tlsServer(t, "greeting:bye")
	_, err := dialErr(srv)
	var imapErr *imap.Error
	if !errors.As(err, &imapErr) || imapErr.Type != imap.StatusResponseTypeBye {
		t.Fatalf("got %v", err)
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		t.Fatal("timeout")
	}
}
