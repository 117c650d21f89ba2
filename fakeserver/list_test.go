package fakeserver_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"

	"github.com/imapprobe/imapprobe/fakeserver"
)

// listFake is the fake set up as the Dovecot of testdata/dovecot_list.txt:
// the default seed, Restricted, and "Projekte/Entwürfe" without a parent.
func listFake(t *testing.T, opts ...fakeserver.Option) *fakeserver.Server {
	t.Helper()
	return fakeserver.New(t, append([]fakeserver.Option{fakeserver.WithMode(fakeserver.ModePlaintext),
		fakeserver.WithRestrictedMailbox("Restricted"),
		fakeserver.WithMailbox(fakeserver.DefaultUser, "Projekte/Entwürfe")}, opts...)...)
}

// TestListMatchesDovecot replays the commands of testdata/dovecot_list.txt
// on the Dovecot persona and wants Dovecot's reply lines byte for byte, as
// a set: Dovecot lists in its directory order, the fake in byte order. The
// last command, CAPABILITY, shows Dovecot adding SPECIAL-USE.
func TestListMatchesDovecot(t *testing.T) {
	t.Parallel()
	golden, err := os.ReadFile("testdata/dovecot_list.txt")
	if err != nil {
		t.Fatal(err)
	}
	type exchange struct {
		command string
		replies []string
	}
	var script []exchange
	for _, l := range strings.Split(strings.TrimSpace(string(golden)), "\n") {
		switch {
		case strings.HasPrefix(l, "C: "):
			script = append(script, exchange{command: l[3:]})
		case strings.HasPrefix(l, "S: "):
			script[len(script)-1].replies = append(script[len(script)-1].replies, l[3:])
		}
	}
	if len(script) != 16 {
		t.Fatalf("%d commands in the golden file, want 16", len(script))
	}
	srv := listFake(t, fakeserver.WithPersona(fakeserver.PersonaDovecot))
	r := dialRaw(t, srv.Addr(), nil)
	r.line()
	r.loginRaw(srv)
	for _, ex := range script {
		tag, _, _ := strings.Cut(ex.command, " ")
		r.send(ex.command + "\r\n")
		var got []string
		for _, l := range r.until(tag + " ") {
			got = append(got, fakeserver.NormalizeTimings(strings.TrimSuffix(l, "\r\n")))
		}
		want := slices.Clone(ex.replies)
		if caps, ok := strings.CutPrefix(want[0], "* CAPABILITY "); ok {
			// The persona leaves out what the backend lacks; SPECIAL-USE stays.
			want[0] = "* CAPABILITY " + withoutCaps(caps, fakeserver.DovecotPostLoginMissing)
		}
		slices.Sort(got[:len(got)-1])
		slices.Sort(want[:len(want)-1])
		if !slices.Equal(got, want) {
			t.Errorf("%s:\n got %q\nwant %q", ex.command, got, want)
		}
	}
}

// TestListAttributes: the default persona's LIST lines, exact (go-imap
// quotes every name but INBOX), for each form of LIST, on the default seed (no Restricted) plus a nested
// non-ASCII mailbox whose parent is missing.
func TestListAttributes(t *testing.T) {
	t.Parallel()
	srv := fakeserver.New(t, fakeserver.WithMode(fakeserver.ModePlaintext),
		fakeserver.WithMailbox(fakeserver.DefaultUser, "Projekte/Entwürfe", imap.MailboxAttrFlagged))
	r := dialRaw(t, srv.Addr(), nil)
	r.line()
	r.loginRaw(srv)
	r.send("s SUBSCRIBE Sent\r\n")
	if l := r.line(); l != "s OK SUBSCRIBE completed\r\n" {
		t.Fatalf("SUBSCRIBE: %q", l)
	}
	const (
		archive  = `* LIST (\HasChildren \Archive) "/" "Archive"`
		archive5 = `* LIST (\HasNoChildren) "/" "Archive/2025"`
		drafts   = `* LIST (\HasNoChildren \Drafts) "/" "Drafts"`
		inbox    = `* LIST (\HasNoChildren) "/" INBOX`
		junk     = `* LIST (\HasNoChildren \Junk) "/" "Junk"`
		projekte = `* LIST (\Noselect \HasChildren) "/" "Projekte"`
		entw     = `* LIST (\HasNoChildren \Flagged) "/" "Projekte/Entw&APw-rfe"`
		sent     = `* LIST (\HasNoChildren \Sent) "/" "Sent"`
		trash    = `* LIST (\HasNoChildren \Trash) "/" "Trash"`
	)
	tests := []struct {
		command string
		want    []string
	}{
		{`LIST "" *`, []string{archive, archive5, drafts, inbox, junk, projekte, entw, sent, trash}},
		{`LIST "" %`, []string{archive, drafts, inbox, junk, projekte, sent, trash}},
		{`LIST "" Archive/%`, []string{archive5}},
		{`LIST "" Projekte/*`, []string{entw}},
		{`LIST "" inbox`, nil}, // names are exact but INBOX (go-imap matches case-sensitively)
		{`LIST "" * RETURN (CHILDREN)`, []string{
			`* LIST (\HasChildren) "/" "Archive"`, archive5, `* LIST (\HasNoChildren) "/" "Drafts"`, inbox,
			`* LIST (\HasNoChildren) "/" "Junk"`, `* LIST (\NonExistent \HasChildren) "/" "Projekte"`,
			`* LIST (\HasNoChildren) "/" "Projekte/Entw&APw-rfe"`, `* LIST (\HasNoChildren) "/" "Sent"`,
			`* LIST (\HasNoChildren) "/" "Trash"`}},
		{`LIST (SPECIAL-USE) "" *`, []string{`* LIST (\Archive) "/" "Archive"`, `* LIST (\Drafts) "/" "Drafts"`,
			`* LIST (\Junk) "/" "Junk"`, `* LIST (\Flagged) "/" "Projekte/Entw&APw-rfe"`, `* LIST (\Sent) "/" "Sent"`,
			`* LIST (\Trash) "/" "Trash"`}},
		{`LIST "" (Sent INBOX) RETURN (SPECIAL-USE SUBSCRIBED CHILDREN)`, []string{inbox,
			`* LIST (\Subscribed \HasNoChildren \Sent) "/" "Sent"`}},
		{`LIST (SUBSCRIBED) "" *`, []string{`* LIST (\Subscribed) "/" "Sent"`}},
		{`LSUB "" *`, []string{`* LSUB (\Sent) "/" "Sent"`}},
		{`LIST "" Sent RETURN (STATUS (MESSAGES))`, []string{`* LIST () "/" "Sent"`, `* STATUS "Sent" (MESSAGES 1)`}},
	}
	for i, tt := range tests {
		tag := string(rune('a' + i))
		r.send(tag + " " + tt.command + "\r\n")
		got := r.until(tag + " ")
		verb, _, _ := strings.Cut(tt.command, " ")
		if last := got[len(got)-1]; last != tag+" OK "+verb+" completed\r\n" {
			t.Errorf("%s: tagged reply %q", tt.command, last)
		}
		got = got[:len(got)-1]
		for j := range got {
			got[j] = strings.TrimSuffix(got[j], "\r\n")
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s:\n got %q\nwant %q", tt.command, got, tt.want)
		}
	}
}

// TestListFollowsMailboxCommands: CREATE, RENAME, DELETE and UNSUBSCRIBE
// over IMAP change what LIST shows, attributes included.
func TestListFollowsMailboxCommands(t *testing.T) {
	t.Parallel()
	srv := fakeserver.New(t, fakeserver.WithMode(fakeserver.ModePlaintext))
	r := dialRaw(t, srv.Addr(), nil)
	r.line()
	r.loginRaw(srv)
	steps := []string{
		"a CREATE Drafts/Old\r\n", "a OK CREATE completed\r\n",
		"b LIST \"\" Drafts*\r\n", "* LIST (\\HasChildren \\Drafts) \"/\" \"Drafts\"\r\n",
		"", "* LIST (\\HasNoChildren) \"/\" \"Drafts/Old\"\r\n",
		"", "b OK LIST completed\r\n",
		"c RENAME Drafts Entwürfe\r\n", "c OK RENAME completed\r\n",
		// its inferiors move with it (rename.go)
		"d LIST \"\" Entw*\r\n", "* LIST (\\HasChildren \\Drafts) \"/\" \"Entw&APw-rfe\"\r\n",
		"", "* LIST (\\HasNoChildren) \"/\" \"Entw&APw-rfe/Old\"\r\n",
		"", "d OK LIST completed\r\n",
		"e LIST \"\" Drafts*\r\n", "e OK LIST completed\r\n",
		"f DELETE Entw&APw-rfe/Old\r\n", "f OK DELETE completed\r\n",
		"g LIST \"\" Entw*\r\n", "* LIST (\\HasNoChildren \\Drafts) \"/\" \"Entw&APw-rfe\"\r\n",
		"", "g OK LIST completed\r\n",
		"h SUBSCRIBE Junk\r\n", "h OK SUBSCRIBE completed\r\n",
		"i UNSUBSCRIBE Junk\r\n", "i OK UNSUBSCRIBE completed\r\n",
		"j LSUB \"\" *\r\n", "j OK LSUB completed\r\n",
	}
	for i := 0; i < len(steps); i += 2 {
		if steps[i] != "" {
			r.send(steps[i])
		}
		if got := r.line(); got != steps[i+1] {
			t.Fatalf("step %d (%q): got %q, want %q", i/2, steps[i], got, steps[i+1])
		}
	}
}
