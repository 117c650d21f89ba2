package fakeserver_test

import (
	"errors"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/imapprobe/imapprobe/fakeserver"
)

// TestLiteralContentLooksLikeAnnouncement: literal content that ends in
// "{N}" is data, not a new literal announcement. The client gets its
// tagged reply, the next command is answered, and the record and the
// transcript keep the password out.
func TestLiteralContentLooksLikeAnnouncement(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, pass string
		wantLogin  string
	}{
		{"huge announcement as content", "Ab{99999999}", "a OK "},
		{"small announcement as content", "Ab{40}", "a OK "},
		{"content is an announcement", "{20}", "a OK "},
		{"wrong password ending in {N}", "", "a NO [AUTHENTICATIONFAILED]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			seeded := tt.pass
			if seeded == "" {
				seeded = "right-pw-a71c"
			}
			srv := fakeserver.New(t, fakeserver.WithMode(fakeserver.ModePlaintext), fakeserver.WithUser("alice", seeded))
			sent := tt.pass
			if sent == "" {
				sent = "Wr{99999999}"
			}
			r := greeted(t, srv)
			r.send("a LOGIN alice {" + strconv.Itoa(len(sent)) + "}\r\n")
			if l := r.line(); l != "+ Ready for literal data\r\n" {
				t.Fatalf("after the announcement: %q", l)
			}
			r.send(sent + "\r\n")
			if l := r.line(); !strings.HasPrefix(l, tt.wantLogin) {
				t.Fatalf("LOGIN: %q, want %q", l, tt.wantLogin)
			}
			r.send("b NOOP\r\nz LOGOUT\r\n")
			r.until("b OK")
			r.until("z OK")
			recs := waitEnded(t, srv, 1)
			var names []string
			for _, c := range recs[0].Commands {
				names = append(names, c.Tag+" "+c.Name)
			}
			if got := strings.Join(names, ", "); got != "a LOGIN, b NOOP, z LOGOUT" {
				t.Errorf("commands %q", got)
			}
			if recs[0].User != "alice" {
				t.Errorf("user %q, want alice", recs[0].User)
			}
			if js := jsonString(t, recs); strings.Contains(js, sent) {
				t.Errorf("password in the record:\n%s", js)
			}
		})
	}
}

// TestClientBounds: the front itself refuses a line or a literal over its
// limits by closing the connection, now that the transcript tap enforces
// nothing.
func TestClientBounds(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, send string }{
		{"line over 64 KiB", strings.Repeat("x", 70<<10)},
		{"literal over 64 MiB", "a LOGIN alice {67108865}\r\n"},
		{"literal size overflows", "a LOGIN alice {99999999999999999999}\r\n"},
		{"non-synchronising literal over 64 MiB", "a APPEND INBOX {67108865+}\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := plainServer(t)
			r := greeted(t, srv)
			r.send(tt.send)
			// A reset is a close too: the client's unread bytes make the
			// kernel send one.
			rest, err := r.rest()
			if (err != nil && !errors.Is(err, syscall.ECONNRESET)) || len(rest) != 0 {
				t.Fatalf("after %.40q: %q %v, want the connection closed without a reply", tt.send, rest, err)
			}
		})
	}
}
