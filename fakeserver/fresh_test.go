package fakeserver_test

import (
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/imapprobe/imapprobe/fakeserver"
)

// wreck marks every INBOX message \Deleted, expunges them and creates a
// mailbox, over c.
func wreck(t *testing.T, c *imapclient.Client) {
	t.Helper()
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	all := imap.SeqSet{}
	all.AddRange(1, 0)
	if err := c.Store(all, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagDeleted}, Silent: true}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Expunge().Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Create("Leaked", nil).Wait(); err != nil {
		t.Fatal(err)
	}
}

// inboxState is what a connection sees: INBOX's message count and
// whether Leaked exists.
func inboxState(t *testing.T, c *imapclient.Client) (messages uint32, leaked bool) {
	t.Helper()
	st, err := c.Status("INBOX", &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	list, err := c.List("", "Leaked", nil).Collect()
	if err != nil {
		t.Fatal(err)
	}
	return *st.NumMessages, len(list) == 1
}

// TestFreshState: one connection's STORE \Deleted, EXPUNGE and CREATE
// reach the next connection to the same server only under PerServer; a
// server started after it is freshly seeded either way. Under
// PerConnection, Server.Append changes what later logins see, not the
// copy of one already logged in.
func TestFreshState(t *testing.T) {
	t.Parallel()
	tests := []struct {
		scope      fakeserver.FreshScope
		next       uint32 // INBOX messages the next connection sees
		nextLeaked bool
		afterAdd   uint32 // ... and the first one, after Server.Append
	}{
		{fakeserver.PerServer, 0, true, 1},
		{fakeserver.PerConnection, fakeserver.SeededInbox, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.scope.String(), func(t *testing.T) {
			t.Parallel()
			srv := fakeserver.New(t, fakeserver.WithFreshState(tt.scope))
			first := login(t, srv)
			wreck(t, first)
			if n, leaked := inboxState(t, first); n != 0 || !leaked {
				t.Fatalf("the wrecking connection sees %d messages, Leaked %v", n, leaked)
			}
			if n, leaked := inboxState(t, login(t, srv)); n != tt.next || leaked != tt.nextLeaked {
				t.Errorf("next connection: %d messages, Leaked %v; want %d, %v", n, leaked, tt.next, tt.nextLeaked)
			}
			if err := srv.Append(fakeserver.DefaultUser, "INBOX", []byte("Subject: added\r\n\r\nhi\r\n")); err != nil {
				t.Fatal(err)
			}
			if n, _ := inboxState(t, first); n != tt.afterAdd {
				t.Errorf("after Append, the first connection sees %d messages, want %d", n, tt.afterAdd)
			}
			if n, _ := inboxState(t, login(t, srv)); n != tt.next+1 {
				t.Errorf("after Append, a new connection sees %d messages, want %d", n, tt.next+1)
			}

			other := fakeserver.New(t, fakeserver.WithFreshState(tt.scope))
			if n, leaked := inboxState(t, login(t, other)); n != fakeserver.SeededInbox || leaked {
				t.Errorf("a new server: %d messages, Leaked %v; want %d, false", n, leaked, fakeserver.SeededInbox)
			}
		})
	}
}

func TestParseFreshScope(t *testing.T) {
	t.Parallel()
	for _, f := range []fakeserver.FreshScope{fakeserver.PerServer, fakeserver.PerConnection} {
		if got, err := fakeserver.ParseFreshScope(f.String()); err != nil || got != f {
			t.Errorf("ParseFreshScope(%q) = %v, %v", f.String(), got, err)
		}
	}
	if _, err := fakeserver.ParseFreshScope("user"); err == nil || err.Error() != `unknown fresh-state scope "user": use server or connection` {
		t.Errorf("ParseFreshScope(user): %v", err)
	}
}

// TestFreshStateConcurrentAppend: logins under PerConnection copy the seed
// while Server.Append extends it; each copy holds the seeded messages plus
// a prefix of the appends (never a torn one), and the counts only grow.
// Run under -race, it also checks the seed's locking.
func TestFreshStateConcurrentAppend(t *testing.T) {
	t.Parallel()
	srv := fakeserver.New(t, fakeserver.WithFreshState(fakeserver.PerConnection))
	const adds = 30
	done := make(chan error, 1)
	go func() {
		for range adds {
			if err := srv.Append(fakeserver.DefaultUser, "INBOX", []byte("Subject: more\r\n\r\nhi\r\n")); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	last := uint32(0)
	for range 8 {
		n, _ := inboxState(t, login(t, srv))
		if n < fakeserver.SeededInbox+last || n > fakeserver.SeededInbox+adds {
			t.Fatalf("a login sees %d messages after one saw %d", n, fakeserver.SeededInbox+last)
		}
		last = n - fakeserver.SeededInbox
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n, _ := inboxState(t, login(t, srv)); n != fakeserver.SeededInbox+adds {
		t.Errorf("after every Append a login sees %d messages, want %d", n, fakeserver.SeededInbox+adds)
	}
}
