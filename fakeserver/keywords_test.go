package fakeserver_test

import (
	"strings"
	"testing"

	"github.com/imapprobe/imapprobe/fakeserver"
)

// TestKeywordSpelling: over real connections (default persona), system
// flags come back canonical however the client wrote them, and each
// keyword as its user first wrote it, in STORE or APPEND: in the STORE's
// FETCH, in another session's flag update, on a later connection, and in
// SELECT's FLAGS and PERMANENTFLAGS. A STORE that creates a keyword
// announces the new FLAGS first, as Dovecot does. Users do not share
// spellings.
func TestKeywordSpelling(t *testing.T) {
	t.Parallel()
	const bobPass = "bob-kw-secret-7"
	srv := fakeserver.New(t, fakeserver.WithMode(fakeserver.ModePlaintext),
		fakeserver.WithUser("alice", "alice-kw-secret-3"), fakeserver.WithUser("bob", bobPass))
	const (
		system = `\Answered \Flagged \Deleted \Seen \Draft`
		done   = "OK STORE completed\r\n"
	)
	exchange := func(r *rawConn, cmd, want string) {
		t.Helper()
		tag, _, _ := strings.Cut(cmd, " ")
		r.send(cmd + "\r\n")
		if got := strings.Join(r.until(tag+" "), ""); got != want {
			t.Errorf("after %q:\n got %q\nwant %q", cmd, got, want)
		}
	}
	selectLines := func(tag, keywords, unseen string) string {
		return "* 3 EXISTS\r\n* 0 RECENT\r\n" + unseen + "* OK [UIDVALIDITY 1] UIDs valid\r\n* OK [UIDNEXT 4] Predicted next UID\r\n" +
			"* FLAGS (" + system + keywords + ")\r\n* OK [PERMANENTFLAGS (" + system + keywords + ` \*)] Permanent flags` + "\r\n" +
			tag + " OK [READ-WRITE] SELECT completed\r\n"
	}

	watch := openInbox(t, srv) // alice's second session
	a := loggedInRaw(t, srv)
	exchange(a, "s SELECT INBOX", selectLines("s", "", "* OK [UNSEEN 1] First unseen message\r\n"))
	exchange(a, `a STORE 1 +FLAGS (MyKey \SEEN \flagged)`,
		"* FLAGS ("+system+" MyKey)\r\n* OK [PERMANENTFLAGS ("+system+` MyKey \*)] Permanent flags`+"\r\n"+
			`* 1 FETCH (UID 1 FLAGS (\Flagged \Seen MyKey))`+"\r\na "+done)
	exchange(a, `b STORE 2 +FLAGS (MYKEY $label1)`,
		"* FLAGS ("+system+" MyKey $label1)\r\n* OK [PERMANENTFLAGS ("+system+` MyKey $label1 \*)] Permanent flags`+"\r\n"+
			`* 2 FETCH (UID 2 FLAGS (MyKey $label1))`+"\r\nb "+done)
	exchange(a, `c STORE 2 -FLAGS ($LABEL1)`, `* 2 FETCH (UID 2 FLAGS (MyKey))`+"\r\nc "+done)
	exchange(watch, "n NOOP", `* 1 FETCH (UID 1 FLAGS (\Flagged \Seen MyKey))`+"\r\n"+
		`* 2 FETCH (UID 2 FLAGS (MyKey $label1))`+"\r\n"+`* 2 FETCH (UID 2 FLAGS (MyKey))`+"\r\nn OK NOOP completed\r\n")
	a.send("p APPEND Archive (Later \\draft) {12}\r\n")
	if l := a.line(); !strings.HasPrefix(l, "+ ") {
		t.Fatalf("APPEND: %q", l)
	}
	a.send("Subject: x\r\n\r\n")
	if got := strings.Join(a.until("p "), ""); got != "p OK [APPENDUID 3 1] APPEND completed\r\n" {
		t.Errorf("APPEND: %q", got)
	}

	again := loggedInRaw(t, srv)
	exchange(again, "s SELECT INBOX", selectLines("s", " MyKey $label1", "* OK [UNSEEN 2] First unseen message\r\n"))
	exchange(again, "f FETCH 1:2 (FLAGS)", `* 1 FETCH (UID 1 FLAGS (\Flagged \Seen MyKey))`+"\r\n"+
		`* 2 FETCH (UID 2 FLAGS (MyKey))`+"\r\nf OK FETCH completed\r\n")
	exchange(again, "e EXAMINE Archive", "* OK [CLOSED] Previous mailbox is now closed\r\n* 1 EXISTS\r\n* 0 RECENT\r\n"+
		"* OK [UNSEEN 1] First unseen message\r\n* OK [UIDVALIDITY 3] UIDs valid\r\n* OK [UIDNEXT 2] Predicted next UID\r\n"+
		"* FLAGS ("+system+" Later)\r\n* OK [PERMANENTFLAGS ()] Permanent flags\r\ne OK [READ-ONLY] EXAMINE completed\r\n")
	exchange(again, "g FETCH 1 (FLAGS)", `* 1 FETCH (UID 1 FLAGS (\Draft Later))`+"\r\ng OK FETCH completed\r\n")

	bob := greeted(t, srv)
	bob.send("l LOGIN bob " + bobPass + "\r\n")
	if l := bob.until("l "); !strings.HasPrefix(l[len(l)-1], "l OK [CAPABILITY ") {
		t.Fatalf("bob's LOGIN: %q", l)
	}
	exchange(bob, "s SELECT INBOX", selectLines("s", "", "* OK [UNSEEN 1] First unseen message\r\n"))
	exchange(bob, "a STORE 1 +FLAGS (mykey)", "* FLAGS ("+system+" mykey)\r\n* OK [PERMANENTFLAGS ("+system+` mykey \*)] Permanent flags`+"\r\n"+
		`* 1 FETCH (UID 1 FLAGS (mykey))`+"\r\na "+done)
}
