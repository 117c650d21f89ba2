package fakeserver_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/faults"
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

// TestFraming: literals (synchronising and not) and IDLE pass through the
// front; AUTHENTICATE and IDLE lines are not recorded as commands.
func TestFraming(t *testing.T) {
	t.Parallel()
	srv := plainServer(t)
	r := openInbox(t, srv)
	msg := "Subject: framed\r\n\r\nbody\r\n"
	r.send("p APPEND INBOX {" + strconv.Itoa(len(msg)) + "}\r\n")
	if l := r.line(); !strings.HasPrefix(l, "+ ") {
		t.Fatalf("want continuation, got %q", l)
	}
	r.send(msg + "\r\n")
	if l := r.until("p "); !strings.HasPrefix(l[len(l)-1], "p OK") {
		t.Fatalf("APPEND: %q", l)
	}
	r.send("q APPEND INBOX {" + strconv.Itoa(len(msg)) + "+}\r\n" + msg + "\r\n")
	if l := r.until("q "); !strings.HasPrefix(l[len(l)-1], "q OK") {
		t.Fatalf("APPEND LITERAL-: %q", l)
	}
	r.send("i IDLE\r\n")
	if l := r.line(); l != "+ idling\r\n" {
		t.Fatalf("IDLE: %q", l)
	}
	r.send("DONE\r\n")
	r.until("i OK")
	r.send("f FETCH 4:5 (BODY[HEADER.FIELDS (SUBJECT)])\r\n")
	lines := r.until("f OK")
	if got := strings.Count(strings.Join(lines, ""), "Subject: framed"); got != 2 {
		t.Fatalf("appended messages: %q", lines)
	}
	r.nc.Close()
	recs := waitEnded(t, srv, 1)
	var names []string
	for _, c := range recs[0].Commands {
		names = append(names, c.Tag+" "+c.Name)
	}
	if got, want := strings.Join(names, ","), "l LOGIN,s SELECT,p APPEND,q APPEND,i IDLE,f FETCH"; got != want {
		t.Fatalf("commands %s, want %s", got, want)
	}
}

func TestRecordsBounded(t *testing.T) {
	t.Parallel()
	srv := fakeserver.New(t, fakeserver.WithMode(fakeserver.ModePlaintext), fakeserver.WithMaxRecords(2))
	for range 3 {
		r := greeted(t, srv)
		r.send("x LOGOUT\r\n")
		r.rest()
	}
	recs := waitEnded(t, srv, 2)
	if len(recs) != 2 || recs[0].ID != 2 || recs[1].ID != 3 || recs[1].Closed != "server" {
		t.Fatalf("records %+v", recs)
	}
	srv.ResetConnections()
	if n := len(srv.Connections()); n != 0 {
		t.Fatalf("%d records after reset", n)
	}
}

// TestEveryFaultKindCovered fails when faults gains a kind that no test in
// this package exercises over a real connection.
func TestEveryFaultKindCovered(t *testing.T) {
	t.Parallel()
	covered := map[string]string{
		"bye": "TestBye", "caps": "TestCaps", "cert": "TestCert", "delay": "TestDelay",
		"drop": "TestDropInResponse", "garbage": "TestGarbage", "greeting": "TestGreeting",
		"reply": "TestReply", "rewrite": "TestRewrite", "starttls": "TestStartTLSFaults",
		"throttle": "TestThrottle", "uidvalidity": "TestUIDValidity", "expunge": "TestStateWhileSelected",
		"newmail": "TestStateWhileSelected", "flags": "TestStateWhileSelected", "rename": "TestRename",
		"idle": "TestIdleDrop",
	}
	for _, k := range faults.Kinds() {
		if covered[k] == "" {
			t.Errorf("fault kind %q has no fakeserver test", k)
		}
	}
}
