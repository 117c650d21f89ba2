package recording_test

import (
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/imapprobe/imapprobe/recording"
)

func ExampleDecode() {
	rec, err := recording.Decode(strings.NewReader(`# imapprobe recording v1
tls starttls
user alice
step select fail mailbox.not_found
S 0.001 * OK ready
C 0.002 T2 EXAMINE Archives
S 0.003 T2 NO [NONEXISTENT] No such mailbox
`))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(rec.Failure())
	_, exchanges := rec.Session()
	fmt.Println(exchanges[0].Name, exchanges[0].Args, exchanges[0].Tagged)

	_, err = recording.Decode(strings.NewReader("# imapprobe recording v1\ntls starttls\nS 0.1 * OK\nX 0.2 hello\n"))
	fmt.Println(err)
	// Output:
	// select mailbox.not_found
	// EXAMINE Archives true
	// recording line 4: unknown keyword "X" (want tls, user, mailbox, auth, select, step-timeout, slow, connected, step, info, S, S!, C or end)
}

func ExampleEncode() {
	rec := &recording.Recording{TLS: "implicit", User: "alice", End: recording.EndServer,
		Steps: []recording.Step{{Name: "greeting", Status: "fail", Codes: []string{"greeting.bye"}}},
		Lines: []recording.Line{{Dir: recording.Server, At: 1500000, Text: "* BYE Too many connections"}}}
	if err := recording.Encode(os.Stdout, rec); err != nil {
		log.Fatal(err)
	}
	// Output:
	// # imapprobe recording v1
	// # written by imapprobe --record; served by fakeimapd --replay; see the README
	// tls implicit
	// user alice
	// step greeting fail greeting.bye
	// S 0.001500 * BYE Too many connections
	// end server
}
