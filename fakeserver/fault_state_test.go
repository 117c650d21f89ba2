package fakeserver_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/imapprobe/imapprobe/fakeserver"
)

// The state faults, each over a real socket: a raw client for the exact
// untagged responses a selected or idling session is sent, imapclient
// for UIDVALIDITY, mailbox names and APPEND.

// TestStateWhileSelected: a change another session makes reaches the
// selected session exactly as the untagged responses a real server
// sends, flags spelt as Dovecot spells them: in IDLE at once, otherwise
// with the next NOOP's answer.
func TestStateWhileSelected(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, spec string
		idle       bool
		want       []string // what the client is sent after "+ idling" or NOOP
		exists     uint32   // INBOX's messages afterwards, seen by a new session
	}{
		{"expunge in IDLE", "expunge:IDLE=INBOX", true,
			[]string{"* 1 FETCH (UID 1 FLAGS (\\Deleted))\r\n", "* 1 EXPUNGE\r\n"}, 2},
		{"expunge the last two at NOOP", "expunge:NOOP=INBOX,last,count=2", false,
			[]string{"* 2 FETCH (UID 2 FLAGS (\\Deleted))\r\n", "* 3 FETCH (UID 3 FLAGS (\\Deleted))\r\n",
				"* 3 EXPUNGE\r\n", "* 2 EXPUNGE\r\n"}, 1},
		{"new mail in IDLE", "newmail:IDLE=INBOX,count=2", true,
			[]string{"* 4 EXISTS\r\n", "* 5 EXISTS\r\n"}, 5},
		{"new mail at NOOP", "newmail:NOOP=INBOX", false, []string{"* 4 EXISTS\r\n"}, 4},
		{"flags in IDLE", `flags:IDLE=INBOX,+\Flagged,last`, true,
			[]string{"* 3 FETCH (UID 3 FLAGS (\\Flagged))\r\n"}, 3},
		{"flags of all at NOOP", `flags:NOOP=INBOX,+\Seen,all`, false,
			[]string{"* 1 FETCH (UID 1 FLAGS (\\Seen))\r\n", "* 2 FETCH (UID 2 FLAGS (\\Seen))\r\n",
				"* 3 FETCH (UID 3 FLAGS (\\Seen))\r\n"}, 3},
		{"a keyword at NOOP, as the fault spells it", "flags:NOOP=INBOX,+$Junk,last", false,
			[]string{"* 3 FETCH (UID 3 FLAGS ($Junk))\r\n"}, 3},
		{"expunge 100ms into IDLE", "expunge:IDLE=INBOX,after=100ms", true,
			[]string{"* 1 FETCH (UID 1 FLAGS (\\Deleted))\r\n", "* 1 EXPUNGE\r\n"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := plainServer(t, tt.spec)
			r := openInbox(t, srv)
			var got []string
			if tt.idle {
				r.send("i IDLE\r\n")
				if l := r.line(); l != "+ idling\r\n" {
					t.Fatalf("IDLE: %q", l)
				}
				for range tt.want {
					got = append(got, r.line())
				}
				r.send("DONE\r\n")
				if l := r.line(); l != "i OK IDLE completed\r\n" {
					t.Fatalf("after DONE: %q (sent so far %q)", l, got)
				}
			} else {
				r.send("n NOOP\r\n")
				got = r.until("n ")
				if last := got[len(got)-1]; last != "n OK NOOP completed\r\n" {
					t.Fatalf("NOOP: %q", got)
				}
				got = got[:len(got)-1]
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("the selected session was sent\n%q\nwant\n%q", got, tt.want)
			}
			r.send("q LOGOUT\r\n")
			r.until("q ")
			if fired := firedSpecs(t, srv); !slices.Equal(fired, []string{"command:" + tt.spec}) {
				t.Errorf("fired %q, want only %q", fired, tt.spec)
			}
			st, err := login(t, srv).Status("INBOX", &imap.StatusOptions{NumMessages: true}).Wait()
			if err != nil || *st.NumMessages != tt.exists {
				t.Errorf("STATUS INBOX afterwards: %v, %v messages; want %d", err, st, tt.exists)
			}
		})
	}
}

// TestStateWithoutSelection: a session that has not selected the mailbox
// is told nothing, a change to a mailbox that does not exist changes
// nothing, and the transcript notes both.
func TestStateWithoutSelection(t *testing.T) {
	t.Parallel()
	srv := plainServer(t, "newmail:NOOP=Sent", "expunge:NOOP=Nowhere")
	r := openInbox(t, srv)
	r.send("n NOOP\r\n")
	if got := r.until("n "); !slices.Equal(got, []string{"n OK NOOP completed\r\n"}) {
		t.Fatalf("NOOP with INBOX selected: %q", got)
	}
	r.send("q LOGOUT\r\n")
	r.until("q ")
	recs := waitEnded(t, srv, 1)
	var notes []string
	for _, l := range recs[0].Transcript {
		if strings.HasPrefix(l.Text, "state change") {
			notes = append(notes, l.Text)
		}
	}
	want := []string{`state change: delivered 1 to "Sent" (UID 2:2)`,
		`state change not made: expunge: select "Nowhere": imap: NO [NONEXISTENT] No such mailbox`}
	if !slices.Equal(notes, want) {
		t.Errorf("transcript notes %q, want %q", notes, want)
	}
	st, err := login(t, srv).Status("Sent", &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil || *st.NumMessages != 2 {
		t.Fatalf("STATUS Sent: %v, %+v; want 2 messages (1 seeded, 1 delivered)", err, st)
	}
}

// uidValidities is the UIDVALIDITY of every mailbox STATUS may read, by
// name, and how many mailboxes LIST shows.
func uidValidities(t *testing.T, srv *fakeserver.Server) (map[string]uint32, int) {
	t.Helper()
	c := login(t, srv)
	list, err := c.List("", "*", nil).Collect()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]uint32{}
	for _, m := range list {
		st, err := c.Status(m.Mailbox, &imap.StatusOptions{UIDValidity: true}).Wait()
		if err == nil {
			out[m.Mailbox] = st.UIDValidity
		}
	}
	return out, len(list)
}

// TestUIDValidity: at the Nth SELECT, or at the Nth login (between
// sessions), INBOX comes back with a new UIDVALIDITY, the one
// imapmemserver gives its next new mailbox (it numbers them 1, 2, ... as
// it creates them, so one more than the mailboxes LIST shows, Restricted
// included), with every message kept and UIDs from 1; before and after
// that it stays.
func TestUIDValidity(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		spec string
		// sessions[i] is how many SELECTs session i makes
		sessions []int
		changed  int // the index of the SELECT (all sessions) that sees the new value
	}{
		{"uidvalidity:SELECT|EXAMINE=INBOX;nth=2", []int{3}, 1},
		{"uidvalidity:LOGIN|AUTHENTICATE=INBOX;nth=3", []int{1, 2}, 1},
	} {
		t.Run(tt.spec, func(t *testing.T) {
			t.Parallel()
			srv := plainServer(t, tt.spec)
			// uidValidities logs in once: the first login.
			before, listed := uidValidities(t, srv)
			var got []uint32
			for _, n := range tt.sessions {
				c := login(t, srv)
				for range n {
					data, err := c.Select("INBOX", nil).Wait()
					if err != nil {
						t.Fatal(err)
					}
					if data.NumMessages != fakeserver.SeededInbox || data.UIDNext != fakeserver.SeededInbox+1 {
						t.Errorf("SELECT: %d messages, UIDNEXT %d; want %d and %d", data.NumMessages, data.UIDNext,
							fakeserver.SeededInbox, fakeserver.SeededInbox+1)
					}
					got = append(got, data.UIDValidity)
				}
				_ = c.Logout().Wait()
			}
			want := make([]uint32, len(got))
			for i := range want {
				want[i] = before["INBOX"]
				if i >= tt.changed {
					want[i] = uint32(listed) + 1
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("UIDVALIDITY at each SELECT %v, want %v (before: %v)", got, want, before)
			}
			if after, n := uidValidities(t, srv); n != listed || len(after) != len(before) {
				t.Errorf("mailboxes before %v, after %v", before, after)
			}
		})
	}
}

// TestRename: renamed between two sessions, the mailbox is gone under
// its old name (SELECT is refused NONEXISTENT, as a real server does) and
// there under its new one, with its messages.
func TestRename(t *testing.T) {
	t.Parallel()
	srv := plainServer(t, "rename:LOGIN|AUTHENTICATE=Sent>Sent Items;nth=2")
	if _, err := login(t, srv).Select("Sent", nil).Wait(); err != nil {
		t.Fatalf("first session: %v", err)
	}
	c := login(t, srv)
	_, err := c.Select("Sent", nil).Wait()
	var ie *imap.Error
	if !errors.As(err, &ie) || ie.Type != imap.StatusResponseTypeNo || ie.Code != imap.ResponseCodeNonExistent {
		t.Fatalf("SELECT Sent after the rename: %v, want NO [NONEXISTENT]", err)
	}
	data, err := c.Select("Sent Items", nil).Wait()
	if err != nil || data.NumMessages != 1 {
		t.Fatalf("SELECT \"Sent Items\": %v, %+v; want its 1 message", err, data)
	}
	list, err := c.List("", "Sent*", nil).Collect()
	if err != nil || len(list) != 1 || list[0].Mailbox != "Sent Items" {
		t.Fatalf("LIST Sent*: %v, %+v; want only \"Sent Items\"", err, list)
	}
}

// TestRenameFaultMovesInferiors: a renamed mailbox takes its inferiors
// with it, as RENAME does, and the keywords defined in them: $Label1
// and $Gone, STOREd in Archive/2025 ($Gone then taken off again), are
// in Old/2025's FLAGS, spelt so, as Dovecot keeps a keyword once defined.
func TestRenameFaultMovesInferiors(t *testing.T) {
	t.Parallel()
	srv := plainServer(t, "rename:LOGIN|AUTHENTICATE=Archive>Old;nth=2")
	first := loggedInRaw(t, srv)
	first.send("s SELECT Archive/2025\r\n")
	first.until("s OK")
	first.send("k STORE 1 +FLAGS.SILENT ($Label1 $Gone)\r\n")
	first.until("k OK")
	first.send("g STORE 1 -FLAGS.SILENT ($Gone)\r\n")
	first.until("g OK")
	r := loggedInRaw(t, srv)
	r.send(`l LIST "" "*"` + "\r\n")
	var names []string
	for _, l := range r.until("l ") {
		if strings.HasPrefix(l, "* LIST ") {
			names = append(names, l[strings.LastIndex(l, `"/" `)+4:len(l)-2])
		}
	}
	for _, want := range []string{`"Old"`, `"Old/2025"`} {
		if !slices.Contains(names, want) {
			t.Errorf("LIST after the rename %q lacks %s", names, want)
		}
	}
	for _, gone := range []string{`"Archive"`, `"Archive/2025"`} {
		if slices.Contains(names, gone) {
			t.Errorf("LIST after the rename %q still has %s", names, gone)
		}
	}
	r.send("s SELECT Old/2025\r\n")
	if got, want := r.until("s OK"), `* FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Label1 $Gone)`+"\r\n"; !slices.Contains(got, want) {
		t.Errorf("SELECT Old/2025: %q, want %q", got, want)
	}
	r.send("f FETCH 1 (FLAGS)\r\n")
	if got, want := r.until("f "), []string{"* 1 FETCH (UID 1 FLAGS ($Label1))\r\n", "f OK FETCH completed\r\n"}; !slices.Equal(got, want) {
		t.Errorf("FETCH in Old/2025: %q, want %q", got, want)
	}
}

// TestOverQuotaAppend: the over-quota APPEND is a reply fault; imapclient
// sees NO [OVERQUOTA] with the text, and nothing is stored.
func TestOverQuotaAppend(t *testing.T) {
	t.Parallel()
	srv := plainServer(t, "reply:APPEND=NO [OVERQUOTA] Quota exceeded")
	c := login(t, srv)
	msg := "Subject: x\r\n\r\nbody\r\n"
	cmd := c.Append("INBOX", int64(len(msg)), nil)
	_, _ = cmd.Write([]byte(msg))
	_ = cmd.Close()
	_, err := cmd.Wait()
	var ie *imap.Error
	if !errors.As(err, &ie) || ie.Type != imap.StatusResponseTypeNo || ie.Code != imap.ResponseCodeOverQuota || ie.Text != "Quota exceeded" {
		t.Fatalf("APPEND: %v, want NO [OVERQUOTA] Quota exceeded", err)
	}
	st, err := c.Status("INBOX", &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil || *st.NumMessages != fakeserver.SeededInbox {
		t.Fatalf("STATUS INBOX: %v, %+v; want %d", err, st, fakeserver.SeededInbox)
	}
}

// TestOverQuotaFills: with since=3 the quota fills after two APPENDs:
// the first two are stored, every later one is refused.
func TestOverQuotaFills(t *testing.T) {
	t.Parallel()
	srv := plainServer(t, "reply:APPEND=NO [OVERQUOTA] Quota exceeded;since=3")
	c := login(t, srv)
	var got []string
	for i := range 4 {
		msg := fmt.Sprintf("Subject: %d\r\n\r\nbody\r\n", i)
		cmd := c.Append("INBOX", int64(len(msg)), nil)
		_, _ = cmd.Write([]byte(msg))
		_ = cmd.Close()
		_, err := cmd.Wait()
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
	if want := []string{"OK", "OK", "NO OVERQUOTA", "NO OVERQUOTA"}; !slices.Equal(got, want) {
		t.Errorf("four APPENDs answered %q, want %q", got, want)
	}
	st, err := c.Status("INBOX", &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil || *st.NumMessages != fakeserver.SeededInbox+2 {
		t.Fatalf("STATUS INBOX: %v, %+v; want %d", err, st, fakeserver.SeededInbox+2)
	}
}

// TestOverQuotaAppendLiterals: over a raw socket, in both personas, an
// APPEND with a synchronising literal gets the NO instead of the "+"
// (the client then sends no literal), and one with a non-synchronising
// literal (LITERAL+ or LITERAL-) gets the NO after its literal, which
// is read and dropped, not taken for a command; nothing is stored.
func TestOverQuotaAppendLiterals(t *testing.T) {
	t.Parallel()
	for _, p := range []fakeserver.Persona{fakeserver.PersonaGoImap, fakeserver.PersonaDovecot} {
		t.Run(p.String(), func(t *testing.T) {
			t.Parallel()
			srv := fakeserver.New(t, fakeserver.WithMode(fakeserver.ModePlaintext), fakeserver.WithPersona(p),
				withSpecs(t, "reply:APPEND=NO [OVERQUOTA] Quota exceeded"))
			r := loggedInRaw(t, srv)
			const no = "NO [OVERQUOTA] Quota exceeded\r\n"
			r.send("a APPEND INBOX {5}\r\n")
			if l := r.line(); l != "a "+no {
				t.Fatalf("APPEND with {5}: %q, want a %s", l, no)
			}
			r.send("b APPEND INBOX (\\Seen) {10+}\r\nb NOOP\r\nxx\r\nc STATUS INBOX (MESSAGES)\r\n")
			got := r.until("c ")
			if len(got) != 3 || got[0] != "b "+no || got[1] != "* STATUS INBOX (MESSAGES 3)\r\n" || !strings.HasPrefix(got[2], "c OK ") {
				t.Errorf("APPEND with {10+} holding a command line, then STATUS: %q", got)
			}
		})
	}
}

// TestIdleDrop: an IDLE that lasts past the drop is cut (FIN: the client
// reads EOF; rst: a reset), no earlier; one that ends in time is not.
func TestIdleDrop(t *testing.T) {
	t.Parallel()
	const after = 300 * time.Millisecond
	for _, tt := range []struct {
		spec string
		rst  bool
	}{{"idle:drop=300ms", false}, {"idle:drop=300ms,rst", true}} {
		t.Run(tt.spec, func(t *testing.T) {
			t.Parallel()
			srv := plainServer(t, tt.spec)
			r := openInbox(t, srv)
			start := time.Now()
			r.send("i IDLE\r\n")
			if l := r.line(); l != "+ idling\r\n" {
				t.Fatalf("IDLE: %q", l)
			}
			rest, err := r.rest()
			took := time.Since(start)
			switch {
			case len(rest) != 0:
				t.Errorf("sent %q before the cut", rest)
			case tt.rst && (err == nil || !strings.Contains(err.Error(), "reset")):
				t.Errorf("read after the cut: %v, want a reset", err)
			case !tt.rst && err != nil:
				t.Errorf("read after the cut: %v, want EOF", err)
			}
			if took < after || took > after+2*time.Second {
				t.Errorf("cut %v after IDLE, want %v", took, after)
			}
			recs := waitEnded(t, srv, 1)
			if recs[0].Closed != fakeserver.ClosedByFault {
				t.Errorf("closed by %q, want fault", recs[0].Closed)
			}
		})
	}
	t.Run("DONE in time", func(t *testing.T) {
		t.Parallel()
		srv := plainServer(t, "idle:drop=300ms")
		r := openInbox(t, srv)
		r.send("i IDLE\r\n")
		r.line()
		r.send("DONE\r\n")
		if l := r.line(); l != "i OK IDLE completed\r\n" {
			t.Fatalf("DONE: %q", l)
		}
		time.Sleep(after + 200*time.Millisecond)
		r.send("n NOOP\r\n")
		if l := r.line(); l != "n OK NOOP completed\r\n" {
			t.Fatalf("NOOP after the drop time: %q", l)
		}
	})
}
