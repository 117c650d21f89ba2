package prober

import (
	"context"
	"strings"
	"testing"

	pt "github.com/imapprobe/imapprobe/prober/probertest"
)

func TestMailboxName(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"INBOX", "INBOX"},
		{"Entwürfe", "Entwürfe"},         // UTF-8: as given
		{"Entw&APw-rfe", "Entwürfe"},     // already modified UTF-7: decoded once
		{"Tom &- Jerry", "Tom &- Jerry"}, // "&-" alone decodes to itself: a plain name
		{"R&D", "R&D"},                   // not valid modified UTF-7: a plain name
		{"&AGEAYgBj-", "&AGEAYgBj-"},     // encodes printable ASCII: invalid, kept
		{"&ZeVnLIqe-", "日本語"},
	}
	for _, c := range cases {
		if got := mailboxName(c.in); got != c.want {
			t.Errorf("mailboxName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestModifiedUTF7MailboxNotEncodedTwice checks the wire: the EXAMINE
// argument is the name as the user gave it in modified UTF-7.
func TestModifiedUTF7MailboxNotEncodedTwice(t *testing.T) {
	t.Parallel()
	var got string
	srv := (&pt.Server{Pass: testPass, Implicit: goodTLS(t), Mailboxes: []string{"INBOX", "Entw&APw-rfe"}, Handlers: map[string]pt.Handler{
		"EXAMINE": func(c *pt.Conv, tag, args string) bool {
			got = args
			return pt.SelectReply(c, tag, args, "READ-ONLY")
		}}}).Start(t)
	tg := target(srv, TLSImplicit)
	tg.Mailbox = "Entw&APw-rfe"
	r := Probe(context.Background(), tg, baseOptions(t))
	assertOK(t, r)
	if strings.Trim(got, `"`) != "Entw&APw-rfe" {
		t.Errorf("EXAMINE %s, want Entw&APw-rfe", got)
	}
}
