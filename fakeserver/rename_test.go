package fakeserver_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/emersion/go-imap/v2"

	"github.com/imapprobe/imapprobe/fakeserver"
)

// TestRenameMovesInferiors: RENAME as RFC 3501 and Dovecot have it:
// inferiors move with the mailbox, keywords defined in them follow, a
// mailbox cannot move under its own child, and INBOX is refused with
// Dovecot's words.
func TestRenameMovesInferiors(t *testing.T) {
	t.Parallel()
	srv := fakeserver.New(t)
	c := login(t, srv)
	for _, name := range []string{"P/C/D", "P/E"} {
		if err := c.Create(name, nil).Wait(); err != nil {
			t.Fatalf("CREATE %s: %v", name, err)
		}
	}
	if err := c.Rename("P", "Q", nil).Wait(); err != nil {
		t.Fatalf("RENAME P Q: %v", err)
	}
	names := func() []string {
		t.Helper()
		boxes, err := c.List("", "*", nil).Collect()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, b := range boxes {
			out = append(out, b.Mailbox)
		}
		slices.Sort(out)
		return out
	}
	got := names()
	for _, want := range []string{"Q/C/D", "Q/E"} {
		if !slices.Contains(got, want) {
			t.Errorf("after RENAME P Q: LIST %q lacks %q", got, want)
		}
	}
	for _, gone := range []string{"P", "P/C", "P/C/D", "P/E"} {
		if slices.Contains(got, gone) {
			t.Errorf("after RENAME P Q: LIST %q still has %q", got, gone)
		}
	}
	if _, err := c.Select("Q/C/D", nil).Wait(); err != nil {
		t.Errorf("SELECT Q/C/D after the rename: %v", err)
	}
	if err := c.Unselect().Wait(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		from, to string
		code     imap.ResponseCode
		text     string
	}{
		{"INBOX", "Old", imap.ResponseCodeCannot, "Renaming INBOX isn't supported"},
		{"Q", "Q/C/New", "", "Can't rename mailbox under its own child"},
	} {
		err := c.Rename(tc.from, tc.to, nil).Wait()
		var ie *imap.Error
		if !errors.As(err, &ie) || ie.Type != imap.StatusResponseTypeNo || ie.Code != tc.code || ie.Text != tc.text {
			t.Errorf("RENAME %s %s: %v, want NO [%s] %s", tc.from, tc.to, err, tc.code, tc.text)
		}
	}
	if got := names(); !slices.Contains(got, "INBOX") || !slices.Contains(got, "Q/C/D") {
		t.Errorf("a refused RENAME changed LIST: %q", got)
	}
}

// TestRenameKeepsKeywords: keywords a user defined in a mailbox are its
// FLAGS under its new name too.
func TestRenameKeepsKeywords(t *testing.T) {
	t.Parallel()
	srv := fakeserver.New(t, fakeserver.WithMessages(1))
	c := login(t, srv)
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Copy(imap.SeqSetNum(1), "Archive").Wait(); err != nil {
		t.Fatalf("COPY to Archive: %v", err)
	}
	if _, err := c.Select("Archive", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Store(imap.SeqSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{"ProjectX"}, Silent: true}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Unselect().Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Rename("Archive", "Kept", nil).Wait(); err != nil {
		t.Fatalf("RENAME: %v", err)
	}
	sel, err := c.Select("Kept", nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(sel.Flags, "ProjectX") {
		t.Errorf("FLAGS of the renamed mailbox: %q, want ProjectX among them", sel.Flags)
	}
}
