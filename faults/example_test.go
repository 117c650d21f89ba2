package faults_test

import (
	"fmt"
	"strings"

	"github.com/imapprobe/imapprobe/faults"
)

// A spec names its kind, its arguments and optionally a scope; Spec writes
// it back canonically, and a bad spec gets one line saying how to fix it.
func ExampleParse() {
	f, err := faults.Parse("reply:select|examine=NO [NONEXISTENT] no such mailbox;times=1")
	if err != nil {
		panic(err)
	}
	fmt.Println(f.Kind())
	fmt.Println(f.Spec())

	_, err = faults.Parse("delay:SELECT=soon")
	fmt.Println(err)
	// Output:
	// reply
	// reply:SELECT|EXAMINE=NO [NONEXISTENT] no such mailbox;times=1
	// faults: bad duration "soon" in "delay:SELECT=soon"; use a positive Go duration such as 200ms or 2s
}

// MustParse suits specs written in code, where a typo should stop the
// test at once.
func ExampleMustParse() {
	set := faults.Set{faults.MustParse("drop:FETCH+120"), faults.MustParse("caps:-STARTTLS")}
	for _, f := range set {
		fmt.Println(f.Spec())
	}
	defer func() { fmt.Println("panic:", recover()) }()
	faults.MustParse("drop:FETCH+many")
	// Output:
	// drop:FETCH+120
	// caps:-STARTTLS
	// panic: faults: bad byte count "many" in "drop:FETCH+many"; want a whole number of 1 or more
}

// The JSON form holds the same fields; Unmarshal also takes a text spec
// as a JSON string.
func ExampleMarshal() {
	f, _ := faults.Parse("drop:FETCH+120,rst;user=alice")
	js, _ := faults.Marshal(f)
	fmt.Println(string(js))

	g, _ := faults.Unmarshal(js)
	fmt.Println(g.Spec())
	h, _ := faults.Unmarshal([]byte(`"cert:expired;nth=2"`))
	fmt.Println(h.Spec())
	// Output:
	// {"kind":"drop","at":"FETCH","bytes":120,"rst":true,"user":"alice"}
	// drop:FETCH+120,rst;user=alice
	// cert:expired;nth=2
}

// A server asks the Set at each hook and carries out the merged Action.
// The Set applies each fault's scope: here the reply fires only on the
// second EXAMINE, while the delay acts on every one.
func ExampleSet() {
	set, err := faults.ParseAll([]string{
		"delay:SELECT|EXAMINE=2s",
		"reply:EXAMINE=NO [NONEXISTENT] gone;nth=2",
	})
	if err != nil {
		panic(err)
	}
	conn := faults.ConnInfo{ID: 1, User: "alice", TLS: true}
	for range 3 {
		a := set.OnCommand(conn, faults.Command{Tag: "a1", Name: "EXAMINE"})
		fmt.Printf("wait %v, reply %q\n", a.Delay, a.Reply)
	}
	// Output:
	// wait 2s, reply ""
	// wait 2s, reply "NO [NONEXISTENT] gone"
	// wait 2s, reply ""
}

// Observed reports the faults that acted, as fakeserver records them.
func ExampleObserved() {
	set, _ := faults.ParseAll([]string{"caps:-STARTTLS", "caps:+LOGINDISABLED;times=1"})
	o := faults.Observed{Set: set, Fired: func(hook string, f faults.Fault) {
		fmt.Printf("%s: %s\n", hook, f.Spec())
	}}
	for range 2 {
		caps := o.Capabilities(faults.ConnInfo{}, []string{"IMAP4REV1", "STARTTLS", "AUTH=PLAIN"})
		fmt.Println(strings.Join(caps, " "))
	}
	// Output:
	// capabilities: caps:-STARTTLS
	// capabilities: caps:+LOGINDISABLED;times=1
	// IMAP4REV1 AUTH=PLAIN LOGINDISABLED
	// capabilities: caps:-STARTTLS
	// IMAP4REV1 AUTH=PLAIN
}

// A faults file is a JSON list (or {"faults":[...]}) of fault objects and
// text specs.
func ExampleDecode() {
	set, err := faults.Decode(strings.NewReader(`[
		{"kind":"delay","target":"greeting","duration":"500ms"},
		"bye:FETCH=going down"
	]`))
	if err != nil {
		panic(err)
	}
	fmt.Println(strings.Join(set.Specs(), "\n"))

	_, err = faults.Decode(strings.NewReader(`[{"kind":"delay","target":"SELECT"}]`))
	fmt.Println(err)
	// Output:
	// delay:greeting=500ms
	// bye:FETCH=going down
	// faults: delay fault {"kind":"delay","target":"SELECT"}: missing "duration"; e.g. {"kind":"delay","target":"SELECT|EXAMINE","duration":"3s"}
}
