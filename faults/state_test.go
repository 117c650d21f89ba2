package faults

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestStateKinds: each state spec reads into exactly these JSON fields,
// writes back canonically, and its JSON reads back the same fault.
func TestStateKinds(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, spec, json string }{
		{"uidvalidity:SELECT|EXAMINE=INBOX", "uidvalidity:SELECT|EXAMINE=INBOX",
			`{"kind":"uidvalidity","command":"SELECT|EXAMINE","mailbox":"INBOX"}`},
		{"uidvalidity:login|authenticate=Archive/2025;nth=2", "uidvalidity:LOGIN|AUTHENTICATE=Archive/2025;nth=2",
			`{"kind":"uidvalidity","command":"LOGIN|AUTHENTICATE","mailbox":"Archive/2025","nth":2}`},
		{`uidvalidity:SELECT="a,b;c"`, `uidvalidity:SELECT="a,b;c"`,
			`{"kind":"uidvalidity","command":"SELECT","mailbox":"a,b;c"}`},
		{"expunge:IDLE=INBOX", "expunge:IDLE=INBOX", `{"kind":"expunge","command":"IDLE","mailbox":"INBOX"}`},
		{`expunge:IDLE="\"q",last`, `expunge:IDLE="\"q",last`, `{"kind":"expunge","command":"IDLE","mailbox":"\"q","messages":"last"}`},
		{`newmail:IDLE="a\"b,c;d"`, `newmail:IDLE="a\"b,c;d"`, `{"kind":"newmail","command":"IDLE","mailbox":"a\"b,c;d"}`},
		{`flags:NOOP=Entwürfe,+$Junk`, `flags:NOOP=Entwürfe,+$Junk`, `{"kind":"flags","command":"NOOP","mailbox":"Entwürfe","add":["$Junk"]}`},
		{"expunge:IDLE=INBOX,first,count=1", "expunge:IDLE=INBOX", `{"kind":"expunge","command":"IDLE","mailbox":"INBOX"}`},
		{"expunge:noop=INBOX,LAST,count=2,after=1500ms;times=1", "expunge:NOOP=INBOX,last,count=2,after=1.5s;times=1",
			`{"kind":"expunge","command":"NOOP","mailbox":"INBOX","messages":"last","count":2,"after":"1.5s","times":1}`},
		{"expunge:FETCH=INBOX,all", "expunge:FETCH=INBOX,all",
			`{"kind":"expunge","command":"FETCH","mailbox":"INBOX","messages":"all"}`},
		{"newmail:IDLE=INBOX", "newmail:IDLE=INBOX", `{"kind":"newmail","command":"IDLE","mailbox":"INBOX"}`},
		{"newmail:IDLE=Sent,after=2s,count=3", "newmail:IDLE=Sent,count=3,after=2s",
			`{"kind":"newmail","command":"IDLE","mailbox":"Sent","count":3,"after":"2s"}`},
		{`flags:IDLE=INBOX,+\seen`, `flags:IDLE=INBOX,+\Seen`,
			`{"kind":"flags","command":"IDLE","mailbox":"INBOX","add":["\\Seen"]}`},
		{`flags:NOOP=INBOX,-\Flagged,+$Junk,all;user=alice`, `flags:NOOP=INBOX,+$Junk,-\Flagged,all;user=alice`,
			`{"kind":"flags","command":"NOOP","mailbox":"INBOX","add":["$Junk"],"remove":["\\Flagged"],"messages":"all","user":"alice"}`},
		{"rename:LOGIN|AUTHENTICATE=Archive>Archives;nth=2", "rename:LOGIN|AUTHENTICATE=Archive>Archives;nth=2",
			`{"kind":"rename","command":"LOGIN|AUTHENTICATE","from":"Archive","to":"Archives","nth":2}`},
		{`rename:SELECT="a>b">"c;times=1"`, `rename:SELECT="a>b">"c;times=1"`,
			`{"kind":"rename","command":"SELECT","from":"a>b","to":"c;times=1"}`},
		{"idle:drop=30s", "idle:drop=30s", `{"kind":"idle","drop":"30s"}`},
		{"idle:DROP=1m,RST;nth=2", "idle:drop=1m0s,rst;nth=2", `{"kind":"idle","drop":"1m0s","rst":true,"nth":2}`},
		// The over-quota APPEND is a reply fault.
		{"reply:APPEND=NO [OVERQUOTA] Quota exceeded", "reply:APPEND=NO [OVERQUOTA] Quota exceeded",
			`{"kind":"reply","command":"APPEND","reply":"NO [OVERQUOTA] Quota exceeded"}`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			f := mustParse(t, tt.in)
			if got := f.Spec(); got != tt.spec {
				t.Errorf("Spec() = %s, want %s", got, tt.spec)
			}
			if got := mustMarshal(t, f); got != tt.json {
				t.Errorf("Marshal:\n got %s\nwant %s", got, tt.json)
			}
			g, err := Unmarshal([]byte(tt.json))
			if err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if g.Spec() != tt.spec || mustMarshal(t, g) != tt.json {
				t.Errorf("after JSON: %s, %s", g.Spec(), mustMarshal(t, g))
			}
		})
	}
}

// TestStateKindErrors: a bad state spec or JSON is refused with the one
// message that names its bad part.
func TestStateKindErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"uidvalidity:SELECT", `faults: missing "=" in "uidvalidity:SELECT"; write uidvalidity:COMMAND=MAILBOX, e.g. uidvalidity:SELECT|EXAMINE=INBOX;nth=2`},
		{"uidvalidity:SELECT=", `faults: empty mailbox name in "uidvalidity:SELECT="; name a mailbox, e.g. INBOX`},
		{"uidvalidity:SELECT=INBOX,last", `faults: options after the mailbox in "uidvalidity:SELECT=INBOX,last"; write uidvalidity:COMMAND=MAILBOX, e.g. uidvalidity:SELECT|EXAMINE=INBOX;nth=2`},
		{"uidvalidity:FOO=INBOX", `faults: unknown command "FOO" in "uidvalidity:FOO=INBOX"`},
		{"expunge:IDLE=INBOX,middle", `faults: unknown option "middle" in "expunge:IDLE=INBOX,middle"; valid: first, last, all, count=N, after=DURATION`},
		{"expunge:IDLE=INBOX,count=0", `faults: bad count "0" in "expunge:IDLE=INBOX,count=0"; want a whole number of 1 or more, e.g. count=2`},
		{"expunge:IDLE=INBOX,all,count=2", `faults: a count with all in "expunge:IDLE=INBOX,all,count=2"; all takes every message; drop the count`},
		{"expunge:IDLE=INBOX,after=-1s", `faults: bad duration "-1s" in "expunge:IDLE=INBOX,after=-1s"`},
		{"expunge:IDLE=INBOX,+\\Seen", `faults: unknown option "+\\Seen" in "expunge:IDLE=INBOX,+\\Seen"; valid: first, last, all, count=N, after=DURATION`},
		{`expunge:IDLE="INBOX"x`, `faults: "x" after the mailbox in "expunge:IDLE=\"INBOX\"x"`},
		{"newmail:IDLE=INBOX,last", `faults: unknown option "last" in "newmail:IDLE=INBOX,last"; valid: count=N, after=DURATION`},
		{"newmail:IDLE=INBOX,count=10001", `faults: bad count 10001 in "newmail:IDLE=INBOX,count=10001"; want 1 to 10000`},
		{"flags:IDLE=INBOX", `faults: no flag to change in "flags:IDLE=INBOX"; add or remove at least one flag, e.g. +\Seen`},
		{`flags:IDLE=INBOX,+\Recent`, `faults: unknown system flag "\\Recent" in "flags:IDLE=INBOX,+\\Recent"; valid: \Answered, \Flagged, \Deleted, \Seen, \Draft, or a keyword such as $Junk`},
		{`flags:IDLE=INBOX,+a(b`, `faults: bad flag "a(b" in "flags:IDLE=INBOX,+a(b"`},
		{`{"kind":"flags","command":"IDLE","mailbox":"INBOX","add":["a,b"]}`, `faults: flags fault {"kind":"flags","command":"IDLE","mailbox":"INBOX","add":["a,b"]}: bad "add": bad flag "a,b"`},
		{"rename:LOGIN=Archive", `faults: missing "OLD>NEW" in "rename:LOGIN=Archive"`},
		{"rename:LOGIN=a>a", `faults: the same name twice in "rename:LOGIN=a>a"; rename to another name`},
		{"rename:LOGIN=>b", `faults: empty mailbox name in "rename:LOGIN=>b"`},
		{"idle:30s", `faults: unknown idle variant "30s" in "idle:30s"; write idle:drop=DURATION[,rst], e.g. idle:drop=30s`},
		{"idle:drop=0s", `faults: bad duration "0s" in "idle:drop=0s"`},
		{"idle:drop=1s,fin", `faults: unknown idle option "fin" in "idle:drop=1s,fin"; valid: rst`},
		{`{"kind":"flags","command":"IDLE","mailbox":"INBOX","add":[]}`, `faults: flags fault {"kind":"flags","command":"IDLE","mailbox":"INBOX","add":[]}: bad "add": no flag to change; add or remove at least one flag, e.g. +\Seen`},
		{`{"kind":"expunge","command":"IDLE","mailbox":"INBOX","messages":"middle"}`, `faults: expunge fault {"kind":"expunge","command":"IDLE","mailbox":"INBOX","messages":"middle"}: bad "messages": unknown message pick "middle"; valid: first, last, all`},
		{`{"kind":"idle"}`, `faults: idle fault {"kind":"idle"}: missing "drop"; e.g. {"kind":"idle","drop":"30s"}`},
		{`{"kind":"rename","command":"LOGIN","from":"a"}`, `faults: rename fault {"kind":"rename","command":"LOGIN","from":"a"}: missing "to"; e.g. {"kind":"rename","command":"LOGIN|AUTHENTICATE","from":"Sent","to":"Sent Items"}`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			var err error
			if strings.HasPrefix(tt.in, "{") {
				_, err = Unmarshal([]byte(tt.in))
			} else {
				_, err = Parse(tt.in)
			}
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error = %v\nwant prefix %s", err, tt.want)
			}
		})
	}
}

// TestStateActions: each state kind asks, at a matching command only, for
// exactly its change, with IDLE's least wait.
func TestStateActions(t *testing.T) {
	t.Parallel()
	idle, noop := Command{Tag: "a", Name: "IDLE"}, Command{Tag: "a", Name: "NOOP"}
	tests := []struct {
		spec string
		cmd  Command
		want []Change
	}{
		{"uidvalidity:SELECT|EXAMINE=INBOX", Command{Name: "EXAMINE"}, []Change{ChangeUIDValidity{Mailbox: "INBOX"}}},
		{"uidvalidity:SELECT|EXAMINE=INBOX", noop, nil},
		{"expunge:IDLE=INBOX", idle, []Change{ChangeExpunge{Mailbox: "INBOX", Messages: "first", Count: 1, After: IdleSettle}}},
		{"expunge:IDLE=INBOX,after=2s", idle, []Change{ChangeExpunge{Mailbox: "INBOX", Messages: "first", Count: 1, After: 2 * time.Second}}},
		{"expunge:NOOP=INBOX,last,count=2", noop, []Change{ChangeExpunge{Mailbox: "INBOX", Messages: "last", Count: 2}}},
		{"expunge:NOOP=INBOX", idle, nil},
		{"newmail:*=Sent,count=3", noop, []Change{ChangeAppend{Mailbox: "Sent", Count: 3}}},
		{`flags:IDLE=INBOX,+\Seen,-$Junk,all`, idle, []Change{ChangeFlags{Mailbox: "INBOX", Messages: "all", Count: 1,
			Add: []string{`\Seen`}, Remove: []string{"$Junk"}, After: IdleSettle}}},
		{"rename:LOGIN=a>b", Command{Name: "LOGIN"}, []Change{ChangeRename{From: "a", To: "b"}}},
		{"idle:drop=30s,rst", idle, []Change{ChangeIdleDrop{After: 30 * time.Second, Close: CloseRST}}},
		{"idle:drop=30s", noop, nil},
	}
	for _, tt := range tests {
		t.Run(tt.spec+" at "+tt.cmd.Name, func(t *testing.T) {
			t.Parallel()
			a := Set{mustParse(t, tt.spec)}.OnCommand(ConnInfo{User: "alice"}, tt.cmd)
			if got, want := fmtChanges(a.Changes), fmtChanges(tt.want); got != want {
				t.Errorf("Changes = %s, want %s", got, want)
			}
		})
	}
}

func fmtChanges(cs []Change) string {
	var b strings.Builder
	for _, c := range cs {
		fmt.Fprintf(&b, "%T%+v;", c, c)
	}
	return b.String()
}
