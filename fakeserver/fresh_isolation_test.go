package fakeserver_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"

	"github.com/imapprobe/imapprobe/fakeserver"
)

// TestFreshStateKeywords: a keyword one connection STOREs shows in the
// next connection's SELECT FLAGS only when they share the mail: under
// PerConnection each copy defines its own keywords, as a fresh Dovecot
// account would.
func TestFreshStateKeywords(t *testing.T) {
	t.Parallel()
	const base = `* FLAGS (\Answered \Flagged \Deleted \Seen \Draft`
	for _, tt := range []struct {
		scope fakeserver.FreshScope
		want  string
	}{
		{fakeserver.PerServer, base + " $Leaked)\r\n"},
		{fakeserver.PerConnection, base + ")\r\n"},
	} {
		t.Run(tt.scope.String(), func(t *testing.T) {
			t.Parallel()
			srv := fakeserver.New(t, fakeserver.WithMode(fakeserver.ModePlaintext), fakeserver.WithFreshState(tt.scope))
			first := openInbox(t, srv)
			first.send("k STORE 1 +FLAGS.SILENT ($Leaked)\r\n")
			first.until("k ")
			next := loggedInRaw(t, srv)
			next.send("s SELECT INBOX\r\n")
			var flags string
			for _, l := range next.until("s ") {
				if strings.HasPrefix(l, "* FLAGS ") {
					flags = l
				}
			}
			if flags != tt.want {
				t.Errorf("the next connection's FLAGS %q, want %q", flags, tt.want)
			}
		})
	}
}

// TestFreshStateUsersApart: users never share mail, whatever the scope:
// each user's mail is a copy of their own, so a test that gives each
// case its own user (WithUser, fakeimapd --user) isolates the cases
// while one user's connections still share theirs (PerServer).
func TestFreshStateUsersApart(t *testing.T) {
	t.Parallel()
	for _, scope := range []fakeserver.FreshScope{fakeserver.PerServer, fakeserver.PerConnection} {
		t.Run(scope.String(), func(t *testing.T) {
			t.Parallel()
			srv := fakeserver.New(t, fakeserver.WithFreshState(scope),
				fakeserver.WithUser("alice", "alice-pw"), fakeserver.WithUser("bob", "bob-pw"))
			alice := dial(t, srv)
			if err := alice.Login("alice", "alice-pw").Wait(); err != nil {
				t.Fatal(err)
			}
			wreck(t, alice)
			bob := dial(t, srv)
			if err := bob.Login("bob", "bob-pw").Wait(); err != nil {
				t.Fatal(err)
			}
			if n, leaked := inboxState(t, bob); n != fakeserver.SeededInbox || leaked {
				t.Errorf("bob, after alice's EXPUNGE and CREATE: %d messages, Leaked %v; want %d, false", n, leaked, fakeserver.SeededInbox)
			}
		})
	}
}

// TestStateFaultsPerConnection: under PerConnection a state fault acts
// on the connection's own copy, the one its client sees: a change while
// selected reaches it, and a change at LOGIN (between sessions) is made
// to the copy that login opens. The next connection starts from the
// seed again, so its UIDVALIDITY and mailbox names are the seed's.
func TestStateFaultsPerConnection(t *testing.T) {
	t.Parallel()
	perConn := fakeserver.WithFreshState(fakeserver.PerConnection)

	t.Run("new mail while selected", func(t *testing.T) {
		t.Parallel()
		srv := fakeserver.New(t, fakeserver.WithMode(fakeserver.ModePlaintext), withSpecs(t, "newmail:NOOP=INBOX"), perConn)
		r := openInbox(t, srv)
		r.send("n NOOP\r\n")
		if got, want := r.until("n "), []string{"* 4 EXISTS\r\n", "n OK NOOP completed\r\n"}; !slices.Equal(got, want) {
			t.Errorf("NOOP: %q, want %q", got, want)
		}
	})

	t.Run("uidvalidity between sessions", func(t *testing.T) {
		t.Parallel()
		srv := fakeserver.New(t, withSpecs(t, "uidvalidity:LOGIN|AUTHENTICATE=INBOX;nth=2"), perConn)
		var got []uint32
		for range 3 {
			data, err := login(t, srv).Select("INBOX", nil).Wait()
			if err != nil {
				t.Fatal(err)
			}
			if data.NumMessages != fakeserver.SeededInbox {
				t.Errorf("SELECT INBOX: %d messages, want %d", data.NumMessages, fakeserver.SeededInbox)
			}
			got = append(got, data.UIDValidity)
		}
		// The seed makes 7 mailboxes; the copy of INBOX is the 8th.
		if want := []uint32{1, 8, 1}; !slices.Equal(got, want) {
			t.Errorf("UIDVALIDITY of INBOX in three sessions %v, want %v", got, want)
		}
	})

	t.Run("rename between sessions", func(t *testing.T) {
		t.Parallel()
		srv := fakeserver.New(t, withSpecs(t, "rename:LOGIN|AUTHENTICATE=Sent>Sent Items;nth=2"), perConn)
		var got []string
		for range 3 {
			_, err := login(t, srv).Select("Sent", nil).Wait()
			var ie *imap.Error
			switch {
			case err == nil:
				got = append(got, "OK")
			case errors.As(err, &ie):
				got = append(got, string(ie.Type)+" "+string(ie.Code))
			default:
				t.Fatal(err)
			}
		}
		if want := []string{"OK", "NO NONEXISTENT", "OK"}; !slices.Equal(got, want) {
			t.Errorf("SELECT Sent in three sessions %q, want %q", got, want)
		}
	})
}
