package replay_test

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/imapprobe/imapprobe/recording"
	"github.com/imapprobe/imapprobe/replay"
)

// A hand-written recording, served: the greeting, then the recorded
// answer to LOGIN, retagged; NOOP was not recorded.
func Example() {
	rec, err := recording.Decode(strings.NewReader(recording.Header + `
tls implicit
user alice
step auth fail auth.failed
S 0.001 * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready
C 0.002 a1 LOGIN alice [redacted]
S 0.300 a1 NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)
`))
	if err != nil {
		log.Fatal(err)
	}
	srv, err := replay.Start(rec)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	c, err := tls.Dial("tcp", srv.Addr(), &tls.Config{RootCAs: srv.CAPool(), ServerName: "127.0.0.1"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(c)
	line := func() { s, _ := r.ReadString('\n'); fmt.Println(strings.TrimRight(s, "\r\n")) }
	line()
	fmt.Fprint(c, "x1 NOOP\r\n")
	line()
	fmt.Fprint(c, "x2 LOGIN bob secret\r\n")
	line()
	// Output:
	// * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready
	// x1 BAD [replay] no recorded response for NOOP
	// x2 NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)
}
