package fakeserver_test

import (
	"slices"
	"testing"

	"github.com/emersion/go-imap/v2"

	"github.com/imapprobe/imapprobe/fakeserver"
)

// TestExamineChangesNothing: a mailbox opened with EXAMINE keeps every
// message and flag, as RFC 3501 wants and Dovecot does: STORE, EXPUNGE,
// CLOSE and a non-PEEK FETCH answer OK and change nothing (go-imap's
// imapserver leaves the check to the backend).
func TestExamineChangesNothing(t *testing.T) {
	t.Parallel()
	srv := fakeserver.New(t, fakeserver.WithMessages(2))
	c := login(t, srv)
	sel, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	n := sel.NumMessages
	if n < 2 {
		t.Fatalf("INBOX has %d messages, want 2 or more", n)
	}
	flagsOf := func() [][]imap.Flag {
		t.Helper()
		var all imap.SeqSet
		all.AddRange(1, n)
		msgs, err := c.Fetch(all, &imap.FetchOptions{Flags: true}).Collect()
		if err != nil {
			t.Fatal(err)
		}
		out := make([][]imap.Flag, len(msgs))
		for i, m := range msgs {
			out[i] = m.Flags
		}
		return out
	}
	before := flagsOf()
	if err := c.Store(imap.SeqSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagFlagged, imap.FlagDeleted, "Important"}}, nil).Close(); err != nil {
		t.Errorf("STORE in EXAMINE: %v, want OK", err)
	}
	if err := c.Store(imap.SeqSetNum(2), &imap.StoreFlags{Op: imap.StoreFlagsSet, Silent: true}, nil).Close(); err != nil {
		t.Errorf("STORE FLAGS.SILENT in EXAMINE: %v, want OK", err)
	}
	if _, err := c.Fetch(imap.SeqSetNum(1), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{{}}}).Collect(); err != nil {
		t.Fatal(err)
	}
	if after := flagsOf(); !slices.EqualFunc(before, after, slices.Equal) {
		t.Errorf("flags changed in a read-only mailbox: %q, then %q", before, after)
	}
	if err := c.Expunge().Close(); err != nil {
		t.Errorf("EXPUNGE in EXAMINE: %v, want OK", err)
	}
	if err := c.Unselect().Wait(); err != nil {
		t.Fatal(err)
	}
	sel, err = c.Select("INBOX", nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if sel.NumMessages != n {
		t.Errorf("INBOX has %d messages after EXAMINE's EXPUNGE, want %d", sel.NumMessages, n)
	}
	if after := flagsOf(); !slices.EqualFunc(before, after, slices.Equal) {
		t.Errorf("flags after reopening with SELECT: %q, want %q", after, before)
	}
	// and SELECT still writes
	if err := c.Store(imap.SeqSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagFlagged}, Silent: true}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if got := flagsOf()[0]; !slices.Contains(got, imap.FlagFlagged) {
		t.Errorf("STORE after SELECT: flags %q, want \\Flagged among them", got)
	}
}
