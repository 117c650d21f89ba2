package faults_test

import (
	"fmt"

	"github.com/imapprobe/imapprobe/faults"
)

// A state fault changes the mailbox as another session would; its hook
// answers with the change for the server to make.
func ExampleExpunge() {
	f := faults.MustParse("expunge:idle=INBOX,last,count=2")
	fmt.Println(f.Spec())
	js, _ := faults.Marshal(f)
	fmt.Println(string(js))
	a := faults.Set{f}.OnCommand(faults.ConnInfo{User: "alice"}, faults.Command{Tag: "i", Name: "IDLE"})
	fmt.Printf("%+v\n", a.Changes)
	// Output:
	// expunge:IDLE=INBOX,last,count=2
	// {"kind":"expunge","command":"IDLE","mailbox":"INBOX","messages":"last","count":2}
	// [{Mailbox:INBOX Messages:last Count:2 After:50ms}]
}
