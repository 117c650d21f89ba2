package fakeserver_test

import (
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/faults"
)

// TestReply: imapclient sees the injected NO/BAD as *imap.Error with the
// exact code and text.
func TestReply(t *testing.T) {
	t.Parallel()
	tests := []struct {
		spec string
		run  func(t *testing.T, srv *fakeserver.Server) error
		typ  imap.StatusResponseType
		code imap.ResponseCode
		text string
	}{
		{"reply:SELECT=NO [NONEXISTENT] no such mailbox", selectInbox, imap.StatusResponseTypeNo, imap.ResponseCodeNonExistent, "no such mailbox"},
		{"reply:SELECT=NO [NOPERM] access denied", selectInbox, imap.StatusResponseTypeNo, imap.ResponseCodeNoPerm, "access denied"},
		{"reply:LOGIN=NO [UNAVAILABLE] try again later", loginOnly, imap.StatusResponseTypeNo, imap.ResponseCodeUnavailable, "try again later"},
		{"reply:LOGIN=NO [EXPIRED] password expired", loginOnly, imap.StatusResponseTypeNo, imap.ResponseCodeExpired, "password expired"},
		{"reply:LOGIN=NO [AUTHENTICATIONFAILED] nope", loginOnly, imap.StatusResponseTypeNo, imap.ResponseCodeAuthenticationFailed, "nope"},
		{"reply:FETCH=NO [SERVERBUG] internal error", fetchOne, imap.StatusResponseTypeNo, imap.ResponseCodeServerBug, "internal error"},
		{"reply:FETCH=BAD [CLIENTBUG] what", fetchOne, imap.StatusResponseTypeBad, imap.ResponseCodeClientBug, "what"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			t.Parallel()
			srv := tlsServer(t, tt.spec)
			err := tt.run(t, srv)
			var imapErr *imap.Error
			if !errors.As(err, &imapErr) || imapErr.Type != tt.typ || imapErr.Code != tt.code || imapErr.Text != tt.text {
				t.Fatalf("got %#v, want %s [%s] %s", err, tt.typ, tt.code, tt.text)
			}
		})
	}
}

func loginOnly(t *testing.T, srv *fakeserver.Server) error {
	c := dial(t, srv)
	name, pass := srv.User()
	return c.Login(name, pass).Wait()
}

func selectInbox(t *testing.T, srv *fakeserver.Server) error {
	_, err := login(t, srv).Select("INBOX", nil).Wait()
	return err
}

func fetchOne(t *testing.T, srv *fakeserver.Server) error {
	c := login(t, srv)
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	_, err := c.Fetch(imap.SeqSetNum(1), &imap.FetchOptions{Flags: true}).Collect()
	return err
}

// TestScope: user, nth and times decide which occurrences fire.
func TestScope(t *testing.T) {
	t.Parallel()
	tests := []struct {
		spec string
		want string // for NOOP 1..4: "o" passes, "x" replied
	}{
		{"reply:NOOP=NO x", "xxxx"},
		{"reply:NOOP=NO x;nth=2", "oxoo"},
		{"reply:NOOP=NO x;times=2", "xxoo"},
		{"reply:NOOP=NO x;user=alice", "xxxx"},
		{"reply:NOOP=NO x;user=bob", "oooo"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			t.Parallel()
			srv := plainServer(t, tt.spec)
			r := loggedInRaw(t, srv)
			var got strings.Builder
			for range 4 {
				r.send("n NOOP\r\n")
				switch l := r.line(); l {
				case "n OK NOOP completed\r\n":
					got.WriteByte('o')
				case "n NO x\r\n":
					got.WriteByte('x')
				default:
					t.Fatalf("unexpected %q", l)
				}
			}
			if got.String() != tt.want {
				t.Fatalf("got %s, want %s", got.String(), tt.want)
			}
		})
	}
}

func TestBye(t *testing.T) {
	t.Parallel()
	srv := plainServer(t, "bye:SELECT=Maintenance in progress")
	r := loggedInRaw(t, srv)
	r.send("s SELECT INBOX\r\n")
	got, err := r.rest()
	if err != nil || string(got) != "* BYE Maintenance in progress\r\n" {
		t.Fatalf("got %q %v", got, err)
	}
	// imapclient swallows a mid-session BYE; the caller sees the close.
	srv2 := tlsServer(t, "bye:SELECT")
	if err := selectInbox(t, srv2); err == nil {
		t.Fatal("SELECT succeeded after BYE")
	}
}

// TestGarbage reads the exact bytes of each garbage variant after FETCH.
func TestGarbage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		variant string
		check   func(t *testing.T, r *rawConn)
	}{
		{"broken-fetch", func(t *testing.T, r *rawConn) {
			if l := r.line(); l != faults.BrokenFetch {
				t.Fatalf("got %q", l)
			}
			r.until("f OK") // the real response follows
		}},
		{"unknown-untagged", func(t *testing.T, r *rawConn) {
			if l := r.line(); l != faults.UnknownUntagged {
				t.Fatalf("got %q", l)
			}
			r.until("f OK")
		}},
		{"short-literal", func(t *testing.T, r *rawConn) {
			head := make([]byte, len(faults.ShortLiteral))
			if _, err := io.ReadFull(r.br, head); err != nil || string(head) != faults.ShortLiteral {
				t.Fatalf("got %q %v, want the short literal", head, err)
			}
			_ = r.nc.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
			got, err := r.rest()
			if len(got) != 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("then %q %v, want silence", got, err)
			}
		}},
		{"lf-only", func(t *testing.T, r *rawConn) {
			lines := r.until("f OK")
			if len(lines) != 2 || lines[0] != "* 1 FETCH (UID 1 FLAGS ())\n" || lines[1] != "f OK FETCH completed\n" {
				t.Fatalf("got %q", lines)
			}
		}},
		{"endless", func(t *testing.T, r *rawConn) {
			buf := make([]byte, 1<<20)
			n, err := io.ReadFull(r.br, buf)
			if err != nil || n != len(buf) || !strings.HasPrefix(string(buf), fakeserver.EndlessStart) ||
				strings.ContainsAny(string(buf), "\r\n") {
				t.Fatalf("read %d %v: %q...", n, err, buf[:40])
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.variant, func(t *testing.T) {
			t.Parallel()
			srv := plainServer(t, "garbage:FETCH="+tt.variant)
			r := openInbox(t, srv)
			r.send("f FETCH 1 (FLAGS)\r\n")
			tt.check(t, r)
		})
	}
}

// TestSetFaultsAtRunTime: a change applies to the next connection.
func TestSetFaultsAtRunTime(t *testing.T) {
	t.Parallel()
	srv := plainServer(t)
	r := dialRaw(t, srv.Addr(), nil)
	if g := r.line(); g != tlsGreeting {
		t.Fatalf("greeting %q", g)
	}
	set, err := faults.ParseAll([]string{"greeting:smtp"})
	if err != nil {
		t.Fatal(err)
	}
	srv.SetFaults(set)
	r2 := dialRaw(t, srv.Addr(), nil)
	if g := r2.line(); g != faults.SMTPGreeting {
		t.Fatalf("greeting after SetFaults %q", g)
	}
	if got := srv.Faults().Specs(); len(got) != 1 || got[0] != "greeting:smtp" {
		t.Fatalf("Faults() %v", got)
	}
}

// TestRewrite: wrong data in valid syntax, in the response to one command.
func TestRewrite(t *testing.T) {
	t.Parallel()
	srv := plainServer(t, "rewrite:SELECT=[READ-WRITE]>[READ-ONLY]")
	r := loggedInRaw(t, srv)
	r.send("s SELECT INBOX\r\n")
	lines := r.until("s ")
	if got := lines[len(lines)-1]; got != "s OK [READ-ONLY] SELECT completed\r\n" {
		t.Fatalf("SELECT ended %q", got)
	}
	r.send("c CAPABILITY\r\n") // other commands are untouched
	r.until("c OK CAPABILITY completed")
}
