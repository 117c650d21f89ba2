package replay_test

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/imapprobe/imapprobe/recording"
	"github.com/imapprobe/imapprobe/replay"
)

// FuzzClientBytes: whatever a client sends, the replay neither panics nor
// hangs, and every line it sends is the greeting, a recorded line
// retagged, a literal's go-ahead or its own BAD.
func FuzzClientBytes(f *testing.F) {
	rec, err := recording.Decode(strings.NewReader(plainRec))
	if err != nil {
		f.Fatal(err)
	}
	srv, err := replay.Start(rec, replay.WithRecordedUserOnly(true))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { srv.Close() })
	f.Add("a LOGIN alice pw\r\nb SELECT INBOX\r\nc FETCH 1 (BODY[])\r\n")
	f.Add("a LOGIN {5}\r\nalice pw\r\nb AUTHENTICATE PLAIN AGJvYgBwdw==\r\n")
	f.Add("a LOGIN {99999999999}\r\n")
	f.Add("\r\n\r\n UID\r\nx UID\r\n")
	f.Fuzz(func(t *testing.T, in string) {
		c, err := net.Dial("tcp", srv.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		go func() {
			_, _ = io.WriteString(c, in)
			_ = c.(*net.TCPConn).CloseWrite()
		}()
		out, err := io.ReadAll(c)
		if err != nil {
			t.Fatalf("the replay did not end the connection: %v", err)
		}
		for _, l := range strings.SplitAfter(string(out), "\r\n") {
			if strings.HasPrefix(l, "* 1 FETCH (BODY[] {300}") {
				break // the recorded literal's filler, then the recorded close
			}
			if l == "" {
				continue
			}
			_, rest, _ := strings.Cut(l, " ")
			switch {
			case l == "* OK ready\r\n", l == "+ Ready for literal data\r\n", strings.HasPrefix(rest, "BAD [replay] "),
				strings.HasPrefix(rest, "NO [AUTHENTICATIONFAILED] [replay] "), strings.Contains(plainRec, " "+strings.TrimSuffix(rest, "\r\n")+"\n"),
				l == "* 1 EXISTS\r\n":
			default:
				t.Fatalf("unexpected line %q", l)
			}
		}
	})
}
