package fakeserver_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/imapprobe/imapprobe/fakeserver"
)

// completeRuns is how many connections each completeness test makes: the
// race it guards against showed in 8 of 50.
const completeRuns = 50

// TestConnectionsCompleteAtServerClose: once a client has seen the
// server close (after LOGOUT), Connections() holds the whole record at
// once: its end, who closed, and every command with its arguments.
func TestConnectionsCompleteAtServerClose(t *testing.T) {
	t.Parallel()
	for _, mode := range []fakeserver.Mode{fakeserver.ModePlaintext, fakeserver.ModeImplicitTLS} {
		t.Run(mode.String(), func(t *testing.T) {
			t.Parallel()
			completeAtServerClose(t, fakeserver.New(t, fakeserver.WithMode(mode)))
		})
	}
}

// completeAtServerClose runs completeRuns sessions ending in LOGOUT on
// srv and checks each record as soon as the client has read the close
// (on TLS: the close_notify).
func completeAtServerClose(t *testing.T, srv *fakeserver.Server) {
	name, pass := srv.User()
	want := []fakeserver.CommandRecord{
		{Tag: "l", Name: "LOGIN", Args: "[redacted]"},
		{Tag: "s", Name: "SELECT", Args: "INBOX"},
		{Tag: "f", Name: "FETCH", UID: true, Args: "1:* (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])"},
		{Tag: "z", Name: "LOGOUT"},
	}
	misses := 0
	var tlsConf *tls.Config
	if srv.Mode() == fakeserver.ModeImplicitTLS {
		tlsConf = srv.TLSConfig()
	}
	for i := range completeRuns {
		r := dialRaw(t, srv.Addr(), tlsConf)
		r.line()
		r.send("l LOGIN " + name + " " + pass + "\r\n")
		r.until("l OK")
		r.send("s SELECT INBOX\r\n")
		r.until("s OK")
		r.send("f UID FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])\r\n")
		r.until("f OK")
		r.send("z LOGOUT\r\n")
		if _, err := r.rest(); err != nil {
			t.Fatalf("run %d: reading to the close: %v", i, err)
		}
		recs := srv.Connections()
		rec := recs[len(recs)-1]
		if rec.End.IsZero() || rec.Closed != fakeserver.ClosedByServer || !cmp.Equal(rec.Commands, want) {
			misses++
			t.Logf("run %d: incomplete record: end %v, closed %q, commands %+v", i, rec.End, rec.Closed, rec.Commands)
		}
	}
	if misses > 0 {
		t.Errorf("%d of %d records incomplete when the client saw the close", misses, completeRuns)
	}
}

// TestWaitConnectionsAfterClientClose: when the client closes first,
// WaitConnections returns once the server has finished the record.
func TestWaitConnectionsAfterClientClose(t *testing.T) {
	t.Parallel()
	srv := plainServer(t)
	for i := range completeRuns {
		r := greeted(t, srv)
		r.send("n NOOP\r\n")
		r.until("n OK")
		r.nc.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		recs, err := srv.WaitConnections(ctx, i+1)
		cancel()
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		rec := recs[len(recs)-1]
		want := []fakeserver.CommandRecord{{Tag: "n", Name: "NOOP"}}
		if len(recs) != i+1 || rec.End.IsZero() || rec.Closed != fakeserver.ClosedByClient || !cmp.Equal(rec.Commands, want) {
			t.Fatalf("run %d: %d records, last: end %v, closed %q, commands %+v", i, len(recs), rec.End, rec.Closed, rec.Commands)
		}
	}
}

// TestWaitConnectionsTimesOut: a connection still open makes the wait end
// with ctx, saying how many are open.
func TestWaitConnectionsTimesOut(t *testing.T) {
	t.Parallel()
	srv := plainServer(t)
	greeted(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	recs, err := srv.WaitConnections(ctx, 1)
	want := "fakeserver: 1 connections recorded, 1 open, waiting for 1 ended: context deadline exceeded"
	if err == nil || err.Error() != want || len(recs) != 1 {
		t.Fatalf("got %d records, %v; want 1, %q", len(recs), err, want)
	}
}

// TestCommandArgs: each command's arguments, as recorded.
func TestCommandArgs(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 300)
	for _, tc := range []struct {
		line string
		want fakeserver.CommandRecord
	}{
		{"a SELECT INBOX", fakeserver.CommandRecord{Tag: "a", Name: "SELECT", Args: "INBOX"}},
		{`a select "Sent Items"`, fakeserver.CommandRecord{Tag: "a", Name: "SELECT", Args: `"Sent Items"`}},
		{"a UID FETCH 1:* (FLAGS BODY.PEEK[])", fakeserver.CommandRecord{Tag: "a", Name: "FETCH", UID: true, Args: "1:* (FLAGS BODY.PEEK[])"}},
		{"a NOOP", fakeserver.CommandRecord{Tag: "a", Name: "NOOP"}},
		{"a LOGIN alice {PASS}", fakeserver.CommandRecord{Tag: "a", Name: "LOGIN", Args: "[redacted]"}},
		{"a AUTHENTICATE plain {IR}", fakeserver.CommandRecord{Tag: "a", Name: "AUTHENTICATE", Args: "PLAIN [redacted]"}},
		{"a AUTHENTICATE XOAUTH2", fakeserver.CommandRecord{Tag: "a", Name: "AUTHENTICATE", Args: "XOAUTH2"}},
		{"a AUTHENTICATE not-a-mechanism", fakeserver.CommandRecord{Tag: "a", Name: "AUTHENTICATE", Args: "[redacted]"}},
		{"a SELECT {PASS}", fakeserver.CommandRecord{Tag: "a", Name: "SELECT", Args: "[redacted]"}},
		{"a STATUS INBOX (MESSAGES UIDNEXT)", fakeserver.CommandRecord{Tag: "a", Name: "STATUS", Args: "INBOX (MESSAGES UIDNEXT)"}},
		{"a SELECT " + long, fakeserver.CommandRecord{Tag: "a", Name: "SELECT", Args: long[:256] + "..."}},
		{"a SELECT caf\xc3", fakeserver.CommandRecord{Tag: "a", Name: "SELECT", Args: "caf\uFFFD"}},
		{"a XYZZY secret", fakeserver.CommandRecord{Name: "?"}},
	} {
		t.Run(tc.line, func(t *testing.T) {
			t.Parallel()
			srv := plainServer(t)
			_, pass := srv.User()
			line := strings.NewReplacer("{PASS}", pass, "{IR}", b64("\x00alice\x00"+pass)).Replace(tc.line)
			r := greeted(t, srv)
			r.send(line + "\r\n")
			_, _ = r.br.ReadString('\n')
			r.nc.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			recs, err := srv.WaitConnections(ctx, 1)
			if err != nil {
				t.Fatal(err)
			}
			if got := recs[0].Commands; len(got) == 0 || !cmp.Equal(got[0], tc.want) {
				t.Fatalf("recorded %+v, want %+v", got, tc.want)
			}
		})
	}
}

// ExampleServer_WaitConnections asserts on what the server saw once the
// client has gone: the commands, with their redacted arguments.
func ExampleServer_WaitConnections() {
	srv, err := fakeserver.Start(fakeserver.WithMode(fakeserver.ModePlaintext))
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	c, err := dialErr(srv)
	if err != nil {
		panic(err)
	}
	user, pass := srv.User()
	if err := c.Login(user, pass).Wait(); err != nil {
		panic(err)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		panic(err)
	}
	c.Close() // the client leaves without LOGOUT

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	recs, err := srv.WaitConnections(ctx, 1)
	if err != nil {
		panic(err)
	}
	for _, cmd := range recs[0].Commands {
		fmt.Println(cmd.Name, cmd.Args)
	}
	fmt.Println("closed by", recs[0].Closed)
	// Output:
	// LOGIN [redacted]
	// SELECT INBOX
	// closed by client
}
