package replay_test

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/imapprobe/imapprobe/recording"
	"github.com/imapprobe/imapprobe/replay"
)

const plainRec = recording.Header + `
tls none
user alice
S 0.001 * OK ready
C 0.002 a1 LOGIN alice [redacted]
S 0.003 a1 OK logged in
C 0.004 a2 AUTHENTICATE PLAIN [redacted]
S 0.005 a2 OK logged in
C 0.006 a3 SELECT INBOX
S 0.007 * 1 EXISTS
S 0.008 a3 OK [READ-WRITE] done
C 0.009 a4 SELECT Archive
S 0.010 a4 NO [NONEXISTENT] no Archive
C 0.011 a5 FETCH 1 (BODY[])
S! 0.050 * 1 FETCH (BODY[] {300}\r\n[300 bytes]
end server
`

// dialPlain connects to a replay of text and reads the greeting.
func dialPlain(t *testing.T, text string, opts ...replay.Option) (net.Conn, *bufio.Reader) {
	t.Helper()
	rec, err := recording.Decode(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := replay.Start(rec, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	c, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(c)
	if g, _ := br.ReadString('\n'); g != "* OK ready\r\n" {
		t.Fatalf("greeting %q", g)
	}
	return c, br
}

// TestRecordedUserOnly: by default any user gets the recorded answer;
// with the option, only the recorded user, by LOGIN or AUTHENTICATE PLAIN.
func TestRecordedUserOnly(t *testing.T) {
	t.Parallel()
	plain := func(user string) string {
		return base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00pw"))
	}
	for _, tc := range []struct {
		only bool
		cmd  string
		want string
	}{
		{false, "t LOGIN bob pw", "t OK logged in"},
		{true, "t LOGIN bob pw", "t NO [AUTHENTICATIONFAILED] [replay] only the recorded user may log in"},
		{true, `t LOGIN "alice" pw`, "t OK logged in"},
		{true, "t AUTHENTICATE PLAIN " + plain("bob"), "t NO [AUTHENTICATIONFAILED] [replay] only the recorded user may log in"},
		{true, "t AUTHENTICATE PLAIN " + plain("alice"), "t OK logged in"},
	} {
		t.Run(fmt.Sprint(tc.only, tc.cmd), func(t *testing.T) {
			t.Parallel()
			c, br := dialPlain(t, plainRec, replay.WithRecordedUserOnly(tc.only))
			fmt.Fprintf(c, "%s\r\n", tc.cmd)
			if got, _ := br.ReadString('\n'); got != tc.want+"\r\n" {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestMatchingWalksInOrder: a command matches the first unused exchange
// with its name and arguments, else its name; the recorded drop cuts the
// literal short and closes.
func TestMatchingWalksInOrder(t *testing.T) {
	t.Parallel()
	c, br := dialPlain(t, plainRec)
	read := func() string { s, _ := br.ReadString('\n'); return s }
	fmt.Fprint(c, "b1 SELECT Archive\r\n")
	if got := read(); got != "b1 NO [NONEXISTENT] no Archive\r\n" {
		t.Errorf("SELECT Archive: %q", got)
	}
	// the INBOX exchange comes before Archive's: no longer reachable
	fmt.Fprint(c, "b2 SELECT INBOX\r\n")
	if got := read(); got != "b2 BAD [replay] no recorded response for SELECT\r\n" {
		t.Errorf("SELECT INBOX after Archive: %q", got)
	}
	fmt.Fprint(c, "b3 FETCH 1 (BODY[])\r\n")
	rest, err := bufio.NewReader(br).ReadString(0)
	if want := "* 1 FETCH (BODY[] {300}\r\n"; !strings.HasPrefix(rest, want) || len(rest) != len(want)+300 || err == nil {
		t.Errorf("FETCH: %d bytes %q..., err %v; want the announcement and 300 bytes, then the close", len(rest), rest[:min(len(rest), 40)], err)
	}
}
