package fakeserver_test

import (
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/imapprobe/imapprobe/fakeserver"
)

func TestModesLoginSelectFetch(t *testing.T) {
	t.Parallel()
	for _, mode := range []fakeserver.Mode{fakeserver.ModeImplicitTLS, fakeserver.ModeStartTLS, fakeserver.ModePlaintext} {
		t.Run(mode.String(), func(t *testing.T) {
			t.Parallel()
			srv := fakeserver.New(t, fakeserver.WithMode(mode), fakeserver.WithMessages(2))
			c := login(t, srv)
			sel, err := c.Select("INBOX", nil).Wait()
			if err != nil {
				t.Fatalf("select: %v", err)
			}
			if want := uint32(fakeserver.SeededInbox + 2); sel.NumMessages != want {
				t.Fatalf("INBOX has %d messages, want %d", sel.NumMessages, want)
			}
			msgs, err := c.Fetch(imap.SeqSetNum(1, 2, 3), &imap.FetchOptions{Envelope: true}).Collect()
			if err != nil {
				t.Fatalf("fetch: %v", err)
			}
			var subjects []string
			for _, m := range msgs {
				subjects = append(subjects, m.Envelope.Subject)
			}
			want := "Welcome to the fake IMAP server|Your weekly report|Grüße aus München"
			if got := strings.Join(subjects, "|"); got != want {
				t.Fatalf("subjects %q, want %q", got, want)
			}
			if err := c.Logout().Wait(); err != nil {
				t.Fatalf("logout: %v", err)
			}
		})
	}
}
