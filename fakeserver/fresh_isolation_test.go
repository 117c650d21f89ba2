package fakeserver_test

import (
	"errors"
	"fmt"
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

	// Three sessions, each SELECTing once: what each was answered, as
	// "UIDVALIDITY N, M messages" or the NO's type and code.
	sessions := func(t *testing.T, spec, mailbox string) []string {
		srv := fakeserver.New(t, withSpecs(t, spec), perConn)
		var got []string
		for range 3 {
			data, err := login(t, srv).Select(mailbox, nil).Wait()
			var ie *imap.Error
			switch {
			case err == nil:
				got = append(got, fmt.Sprintf("UIDVALIDITY %d, %d messages", data.UIDValidity, data.NumMessages))
			case errors.As(err, &ie):
				got = append(got, string(ie.Type)+" "+string(ie.Code))
			default:
				t.Fatal(err)
			}
		}
		return got
	}
	for _, tc := range []struct {
		name, spec, mailbox string
		want                []string
	}{
		// The seed makes 7 mailboxes; the copy of INBOX is the 8th.
		{"uidvalidity between sessions", "uidvalidity:LOGIN|AUTHENTICATE=INBOX;nth=2", "INBOX",
			[]string{"UIDVALIDITY 1, 3 messages", "UIDVALIDITY 8, 3 messages", "UIDVALIDITY 1, 3 messages"}},
		{"rename between sessions", "rename:LOGIN|AUTHENTICATE=Sent>Sent Items;nth=2", "Sent",
			[]string{"UIDVALIDITY 2, 1 messages", "NO NONEXISTENT", "UIDVALIDITY 2, 1 messages"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := sessions(t, tc.spec, tc.mailbox); !slices.Equal(got, tc.want) {
				t.Errorf("SELECT %s in three sessions %q, want %q", tc.mailbox, got, tc.want)
			}
		})
	}
}
