package faults

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// everySpec holds one canonical spec for every kind and variant; Parse
// must accept each and Spec must give it back unchanged.
var everySpec = []string{
	// The examples the issue names.
	"delay:SELECT=2s",
	"reply:SELECT=NO [NONEXISTENT] no such mailbox",
	"drop:after-greeting",
	"cert:expired",
	"greeting:bye",
	"caps:-STARTTLS",

	"delay:greeting=500ms",
	"delay:tls=1s",
	"delay:*=200ms",
	"delay:UID FETCH=1.5s",
	"delay:FETCH=200ms,jitter=50ms",
	"reply:SELECT=NO [NOPERM] access denied",
	"reply:LOGIN=NO [AUTHENTICATIONFAILED] Invalid credentials",
	"reply:LOGIN=NO [UNAVAILABLE] try again later",
	"reply:LOGIN=NO [EXPIRED] password expired",
	"reply:FETCH=NO [SERVERBUG] internal error",
	"reply:*=BAD Command unrecognized: x=y; z",
	"drop:on-accept",
	"drop:FETCH",
	"drop:FETCH+120",
	"drop:bytes=4096",
	"drop:on-accept,rst",
	"drop:after-greeting,rst",
	"drop:UID FETCH+1,rst",
	"drop:bytes=1,rst",
	"cert:not-yet-valid",
	"cert:self-signed",
	"cert:wrong-host",
	"cert:unknown-ca",
	"cert:missing-intermediate",
	"cert:tls1.0",
	"cert:tls1.1",
	"cert:tls1.2",
	"greeting:silence",
	"greeting:preauth",
	"greeting:pop3",
	"greeting:smtp",
	"greeting:http",
	"greeting:random",
	"greeting:text=* OK [CAPABILITY IMAP4rev1] Dovecot ready.",
	"caps:+LOGINDISABLED",
	"caps:-AUTH=PLAIN",
	"caps:+AUTH=XOAUTH2",
	"caps:refuse=AUTH=XOAUTH2",
	"throttle:rate=1024",
	"throttle:chunk=1",
	"throttle:rate=1024,chunk=16",
	"garbage:FETCH=broken-fetch",
	"garbage:FETCH=short-literal",
	"garbage:FETCH=lf-only",
	"garbage:FETCH=unknown-untagged",
	"garbage:FETCH=endless",
	"rewrite:SELECT=[READ-WRITE]>[READ-ONLY]",
	"rewrite:FETCH=RFC822.SIZE >RFC822.SIZE 9;times=1",
	"rewrite:FETCH=\\Seen >",
	"rewrite:LIST=a;b>c>d;nth=2",
	"cert:expiring",
	"cert:rc4-only",
	"bye:SELECT=Server shutting down for maintenance",
	"bye:*",
	"starttls:stall",
	"starttls:plaintext",
	"uidvalidity:SELECT|EXAMINE=INBOX;nth=2",
	"expunge:IDLE=INBOX",
	"expunge:NOOP=INBOX,last,count=2,after=1s",
	"newmail:IDLE=INBOX,count=3",
	`flags:IDLE=INBOX,+\Seen,-$Junk,all`,
	"rename:LOGIN|AUTHENTICATE=Archive>Archives;nth=2",
	"idle:drop=30s,rst",

	// Command alternatives.
	"reply:SELECT|EXAMINE=NO [NONEXISTENT] no such mailbox",
	"delay:LOGIN|AUTHENTICATE=2s",
	"drop:FETCH|UID FETCH+120,rst",
	"bye:EXAMINE|SELECT=going",
	"garbage:FETCH|LIST=lf-only",
	"rewrite:SELECT|EXAMINE=[READ-WRITE]>[READ-ONLY]",

	// Scope options, always written in the order user, nth, since, times.
	"delay:SELECT=2s;user=alice;nth=2",
	"reply:SELECT=NO [NONEXISTENT] no such mailbox;user=alice;nth=2;times=3",
	"reply:APPEND=NO [OVERQUOTA] Quota exceeded;since=3",
	"reply:APPEND=NO [OVERQUOTA] Quota exceeded;user=alice;since=2;times=1",
	"drop:FETCH+120,rst;times=1",
	"cert:expired;nth=2",
	"greeting:text=* OK a;b=c ready;times=1",
	"caps:-IDLE;user=bob",
}

// TestRoundTrip: every spec survives Parse then Spec, and Marshal then
// Unmarshal.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	for _, spec := range everySpec {
		t.Run(spec, func(t *testing.T) {
			t.Parallel()
			f, err := Parse(spec)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := f.Spec(); got != spec {
				t.Errorf("Spec() = %q, want %q", got, spec)
			}
			if kind, _, _ := strings.Cut(spec, ":"); f.Kind() != kind {
				t.Errorf("Kind() = %q, want %q", f.Kind(), kind)
			}
			data, err := Marshal(f)
			if err != nil {
				t.Fatal(err)
			}
			g, err := Unmarshal(data)
			if err != nil {
				t.Fatalf("Unmarshal(%s): %v", data, err)
			}
			if g.Spec() != spec {
				t.Errorf("after JSON %s: Spec() = %q, want %q", data, g.Spec(), spec)
			}
			if again, _ := Marshal(g); string(again) != string(data) {
				t.Errorf("JSON changed:\n%s\n%s", data, again)
			}
		})
	}
}

// wantKinds pins the registered kinds, as the errors list them: a new
// kind adds its name here, and a canonical spec of it to everySpec.
const wantKinds = "bye, caps, cert, delay, drop, expunge, flags, garbage, greeting, idle, newmail, rename, reply, rewrite, starttls, throttle, uidvalidity"

func TestKindsAllCovered(t *testing.T) {
	t.Parallel()
	if got := strings.Join(Kinds(), ", "); got != wantKinds {
		t.Fatalf("Kinds() = %s", got)
	}
	seen := map[string]bool{}
	for _, spec := range everySpec {
		k, _, _ := strings.Cut(spec, ":")
		seen[k] = true
	}
	for k := range strings.SplitSeq(wantKinds, ", ") {
		if !seen[k] {
			t.Errorf("no spec of kind %s in everySpec", k)
		}
	}
}

// TestParseFields checks that a spec means what it says, field by field.
func TestParseFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		spec string
		want string // the JSON form
	}{
		{"delay:SELECT=2s", `{"kind":"delay","target":"SELECT","duration":"2s"}`},
		{"delay:FETCH=200ms,jitter=50ms;user=alice;nth=2;times=3",
			`{"kind":"delay","target":"FETCH","duration":"200ms","jitter":"50ms","user":"alice","nth":2,"times":3}`},
		{"reply:SELECT=NO [NONEXISTENT] no such mailbox",
			`{"kind":"reply","command":"SELECT","reply":"NO [NONEXISTENT] no such mailbox"}`},
		{"drop:FETCH+120,rst", `{"kind":"drop","at":"FETCH","bytes":120,"rst":true}`},
		{"drop:bytes=4096", `{"kind":"drop","at":"bytes","bytes":4096}`},
		{"drop:after-greeting", `{"kind":"drop","at":"after-greeting"}`},
		{"cert:expired", `{"kind":"cert","variant":"expired"}`},
		{"greeting:text=* OK hi", `{"kind":"greeting","variant":"text","text":"* OK hi"}`},
		{"caps:-STARTTLS", `{"kind":"caps","op":"remove","capability":"STARTTLS"}`},
		{"caps:+LOGINDISABLED", `{"kind":"caps","op":"add","capability":"LOGINDISABLED"}`},
		{"caps:refuse=AUTH=XOAUTH2", `{"kind":"caps","op":"refuse","capability":"AUTH=XOAUTH2"}`},
		{"throttle:rate=1024,chunk=16", `{"kind":"throttle","rate":1024,"chunk":16}`},
		{"garbage:FETCH=lf-only", `{"kind":"garbage","command":"FETCH","variant":"lf-only"}`},
		{"rewrite:LIST=a;b>c=d", `{"kind":"rewrite","command":"LIST","old":"a;b","new":"c=d"}`},
		{"bye:SELECT=going away", `{"kind":"bye","command":"SELECT","text":"going away"}`},
		{"starttls:stall", `{"kind":"starttls","mode":"stall"}`},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			t.Parallel()
			f := mustParse(t, tt.spec)
			got, err := Marshal(f)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("Marshal = %s\nwant      %s", got, tt.want)
			}
		})
	}
}

// TestParseCanonical checks lenient spellings and their canonical Spec.
func TestParseCanonical(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"delay:select=2000ms", "delay:SELECT=2s"},
		{"DELAY:Greeting=1m30s", "delay:greeting=1m30s"},
		{"delay:uid fetch=1s", "delay:UID FETCH=1s"},
		{"reply:select=no [NONEXISTENT] gone", "reply:SELECT=NO [NONEXISTENT] gone"},
		{"drop:On-Accept,RST", "drop:on-accept,rst"},
		{"drop:BYTES=10", "drop:bytes=10"},
		{"cert:Expired", "cert:expired"},
		{"caps:-starttls", "caps:-STARTTLS"},
		{"caps:REFUSE=auth=plain", "caps:refuse=AUTH=PLAIN"},
		{"throttle:chunk=4,rate=100", "throttle:rate=100,chunk=4"},
		{"garbage:fetch=LF-ONLY", "garbage:FETCH=lf-only"},
		{"starttls:STALL", "starttls:stall"},
		{"reply:select|examine=no x", "reply:SELECT|EXAMINE=NO x"},
		{"drop:fetch|uid store+5,RST", "drop:FETCH|UID STORE+5,rst"},
		{"delay:Login|Authenticate=1s;times=1", "delay:LOGIN|AUTHENTICATE=1s;times=1"},
		{"delay:SELECT=2s;times=3;nth=2;user=alice", "delay:SELECT=2s;user=alice;nth=2;times=3"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			f := mustParse(t, tt.in)
			if got := f.Spec(); got != tt.want {
				t.Errorf("Spec() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	commands := "*, APPEND, AUTHENTICATE, CAPABILITY, CHECK, CLOSE, COMPRESS, COPY, CREATE, DELETE, ENABLE, " +
		"EXAMINE, EXPUNGE, FETCH, GETQUOTA, GETQUOTAROOT, ID, IDLE, LIST, LOGIN, LOGOUT, LSUB, MOVE, " +
		"NAMESPACE, NOOP, RENAME, SEARCH, SELECT, SETQUOTA, SORT, STARTTLS, STATUS, STORE, SUBSCRIBE, " +
		"THREAD, UNSELECT, UNSUBSCRIBE (or UID COPY, UID FETCH, ...; alternatives as SELECT|EXAMINE)"
	tests := []refusal{
		{"delya:SELECT=2s", `faults: unknown kind "delya" in "delya:SELECT=2s"; valid kinds: ` + wantKinds},
		{"", `faults: unknown kind "" in ""; valid kinds: ` + wantKinds},
		{"delay:SELECT=2s\n", `faults: line break in "delay:SELECT=2s\n"; a spec is one line`},
		{"delay", `faults: missing "=" in "delay"; write delay:TARGET=DURATION[,jitter=DURATION] with TARGET a command, *, greeting or tls`},
		{"delay:SELCT=2s", `faults: unknown command "SELCT" in "delay:SELCT=2s"; valid: greeting, tls, ` + commands},
		{"delay:SELECT=2x", `faults: bad duration "2x" in "delay:SELECT=2x"; use a positive Go duration such as 200ms or 2s`},
		{"delay:SELECT=-1s", `faults: bad duration "-1s" in "delay:SELECT=-1s"; use a positive Go duration such as 200ms or 2s`},
		{"delay:SELECT=1s,jiter=1s", `faults: unknown delay option "jiter=1s" in "delay:SELECT=1s,jiter=1s"; valid: jitter=DURATION`},
		{"delay:SELECT=2s;usr=alice", `faults: unknown option "usr=alice" in "delay:SELECT=2s;usr=alice"; valid options: user=NAME, nth=N, since=N, times=N`},
		{"delay:SELECT=2s;nth=0", `faults: bad nth "0" in "delay:SELECT=2s;nth=0"; want a whole number of 1 or more, e.g. nth=2`},
		{"delay:SELECT=2s;times=x", `faults: bad times "x" in "delay:SELECT=2s;times=x"; want a whole number of 1 or more, e.g. times=2`},
		{"delay:SELECT=2s;since=0", `faults: bad since "0" in "delay:SELECT=2s;since=0"; want a whole number of 1 or more, e.g. since=2`},
		{"delay:SELECT=2s;nth=2;since=3", `faults: nth and since together in "delay:SELECT=2s;nth=2;since=3"; nth=N acts on the Nth occurrence alone, since=N on it and every later one: give one`},
		{"delay:SELECT=2s;nth=1;nth=2", `faults: repeated option "nth" in "delay:SELECT=2s;nth=1;nth=2"; give each option once`},
		{"delay:SELECT=2s;user=", `faults: empty user in "delay:SELECT=2s;user="; write user=NAME`},
		{"delay:UID SELECT=1s", `faults: unknown command "UID SELECT" in "delay:UID SELECT=1s"; UID may precede: COPY, EXPUNGE, FETCH, MOVE, SEARCH, SORT, STORE, THREAD`},
		{"delay:greeting=1s;user=alice", `faults: user=alice can never match in "delay:greeting=1s;user=alice"; this fault fires before the client names a user; drop the user option`},
		{"delay:SELECT|EXAMIN=1s", `faults: unknown command "EXAMIN" in "SELECT|EXAMIN" in "delay:SELECT|EXAMIN=1s"; valid: greeting, tls, ` + commands},
		{"delay:select|SELECT=1s", `faults: SELECT named twice in "select|SELECT" in "delay:select|SELECT=1s"; name each command once`},
		{"reply:SELECT|*=NO x", `faults: "*" among alternatives in "SELECT|*" in "reply:SELECT|*=NO x"; "*" already names every command; write it alone`},
		{"bye:SELECT|", `faults: unknown command "" in "SELECT|" in "bye:SELECT|"; valid: ` + commands},
		{"delay:greeting|SELECT=1s", `faults: unknown command "greeting" in "greeting|SELECT" in "delay:greeting|SELECT=1s"; valid: greeting, tls, ` + commands},
		{"reply:SELECT", `faults: missing "=" in "reply:SELECT"; write reply:COMMAND=NO|BAD [CODE] text`},
		{"reply:SELECT=OK fine", `faults: unknown reply status "OK" in "reply:SELECT=OK fine"; valid: NO, BAD`},
		{"reply:SELECT=NO", `faults: no text after NO in "reply:SELECT=NO"; IMAP needs one, e.g. NO [CODE] text`},
		{"drop:FETCH+0", `faults: bad byte count "0" in "drop:FETCH+0"; want a whole number of 1 or more`},
		{"drop:bytes=lots", `faults: bad byte count "lots" in "drop:bytes=lots"; want a whole number of 1 or more`},
		{"drop:FETCH,fin", `faults: unknown drop option "fin" in "drop:FETCH,fin"; valid: rst`},
		{"drop:greeting", `faults: unknown command "greeting" in "drop:greeting"; valid: on-accept, after-greeting, bytes=N, ` + commands},
		{"drop:bytes=10;user=alice", `faults: user=alice can never match in "drop:bytes=10;user=alice"; this fault fires before the client names a user; drop the user option`},
		{"cert:expird", `faults: unknown cert variant "expird" in "cert:expird"; valid: expired, expiring, not-yet-valid, self-signed, wrong-host, unknown-ca, missing-intermediate, tls1.0, tls1.1, tls1.2, rc4-only`},
		{"cert:sslv3", `faults: unknown cert variant "sslv3" in "cert:sslv3"; valid: expired, expiring, not-yet-valid, self-signed, wrong-host, unknown-ca, missing-intermediate, tls1.0, tls1.1, tls1.2, rc4-only`},
		{"greeting:hello", `faults: unknown greeting variant "hello" in "greeting:hello"; valid: bye, silence, preauth, pop3, smtp, http, random, text`},
		{"greeting:text=", `faults: empty greeting text in "greeting:text="; give the greeting line, e.g. * OK ready`},
		{"greeting:bye=now", `faults: greeting bye takes no text in "greeting:bye=now"; only greeting:text=LINE does`},
		{"caps:STARTTLS", `faults: unknown capability edit "STARTTLS" in "caps:STARTTLS"; write caps:-CAP, caps:+CAP or caps:refuse=AUTH=MECH`},
		{"caps:-", `faults: bad capability "" in "caps:-"; a capability is letters, digits and =+-._/: only, e.g. STARTTLS or AUTH=PLAIN`},
		{"caps:+A B", `faults: bad capability "A B" in "caps:+A B"; a capability is letters, digits and =+-._/: only, e.g. STARTTLS or AUTH=PLAIN`},
		{"caps:refuse=IDLE", `faults: refuse needs an AUTH= capability, not "IDLE" in "caps:refuse=IDLE"; e.g. AUTH=XOAUTH2`},
		{"caps:refuse=AUTH=PLAIN;user=alice", `faults: user=alice can never match in "caps:refuse=AUTH=PLAIN;user=alice"; this fault fires before the client names a user; drop the user option`},
		{"throttle:", `faults: unknown throttle option "" in "throttle:"; write throttle:rate=BYTES_PER_SECOND, throttle:chunk=BYTES or both, comma-separated`},
		{"throttle:rate=fast", `faults: bad rate "fast" in "throttle:rate=fast"; want a whole number of 1 or more`},
		{"throttle:chunk=0", `faults: bad chunk "0" in "throttle:chunk=0"; want a whole number of 1 or more`},
		{"garbage:FETCH=junk", `faults: unknown garbage variant "junk" in "garbage:FETCH=junk"; valid: broken-fetch, short-literal, lf-only, unknown-untagged, endless`},
		{"garbage:FETCH", `faults: missing "=" in "garbage:FETCH"; write garbage:COMMAND=VARIANT`},
		{"rewrite:SELECT", `faults: missing "=" in "rewrite:SELECT"; write rewrite:COMMAND=OLD>NEW`},
		{"rewrite:SELECT=READ-ONLY", `faults: missing "OLD>NEW" in "rewrite:SELECT=READ-ONLY"; write rewrite:COMMAND=OLD>NEW, e.g. rewrite:SELECT=[READ-WRITE]>[READ-ONLY]`},
		{"rewrite:SELECT=>x", `faults: missing "OLD>NEW" in "rewrite:SELECT=>x"; write rewrite:COMMAND=OLD>NEW, e.g. rewrite:SELECT=[READ-WRITE]>[READ-ONLY]`},
		{"bye:SELECT=", `faults: empty BYE text in "bye:SELECT="; write bye:COMMAND=TEXT or just bye:COMMAND`},
		{"starttls:hang", `faults: unknown starttls mode "hang" in "starttls:hang"; valid: stall, plaintext`},
		{"cert:expired;user=bob", `faults: user=bob can never match in "cert:expired;user=bob"; this fault fires before the client names a user; drop the user option`},
		{"greeting:bye;user=bob", `faults: user=bob can never match in "greeting:bye;user=bob"; this fault fires before the client names a user; drop the user option`},
		{"throttle:chunk=1;user=bob", `faults: user=bob can never match in "throttle:chunk=1;user=bob"; this fault fires before the client names a user; drop the user option`},
		{"starttls:stall;user=bob", `faults: user=bob can never match in "starttls:stall;user=bob"; this fault fires before the client names a user; drop the user option`},
	}
	wantAllRefused(t, parseBytes, tests)
}

func TestParseAll(t *testing.T) {
	t.Parallel()
	set, err := ParseAll([]string{"delay:SELECT=2s", "cert:expired"})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(set.Specs(), " | "); got != "delay:SELECT=2s | cert:expired" {
		t.Errorf("Specs() = %s", got)
	}
	_, err = ParseAll([]string{"delay:SELECT=2s", "cert:nope"})
	if err == nil || !strings.HasPrefix(err.Error(), `faults: unknown cert variant "nope"`) {
		t.Errorf("ParseAll error = %v", err)
	}
}

// TestScope drives Scope through faults, as the server does: only a
// matching trigger counts as an occurrence.
func TestScope(t *testing.T) {
	t.Parallel()
	type call struct {
		user, cmd string
		fires     bool
	}
	tests := []struct {
		spec  string
		calls []call
	}{
		{"delay:SELECT=1s", []call{{"", "SELECT", true}, {"bob", "SELECT", true}, {"", "FETCH", false}}},
		{"delay:SELECT=1s;user=alice", []call{{"", "SELECT", false}, {"bob", "SELECT", false}, {"alice", "SELECT", true}, {"alice", "SELECT", true}}},
		{"delay:SELECT=1s;nth=2", []call{{"", "FETCH", false}, {"", "SELECT", false}, {"", "FETCH", false}, {"", "SELECT", true}, {"", "SELECT", false}}},
		{"delay:SELECT=1s;times=2", []call{{"", "SELECT", true}, {"", "NOOP", false}, {"", "SELECT", true}, {"", "SELECT", false}}},
		// Another user's commands do not count towards nth.
		{"delay:*=1s;user=alice;nth=2", []call{{"alice", "NOOP", false}, {"bob", "NOOP", false}, {"alice", "NOOP", true}, {"alice", "NOOP", false}}},
		{"delay:*=1s;nth=2;times=5", []call{{"", "NOOP", false}, {"", "NOOP", true}, {"", "NOOP", false}}},
		// since=N: the Nth and every later one, as a quota that fills.
		{"delay:APPEND=1s;since=2", []call{{"", "APPEND", false}, {"", "NOOP", false}, {"", "APPEND", true}, {"", "APPEND", true}}},
		{"delay:APPEND=1s;since=2;times=1", []call{{"", "APPEND", false}, {"", "APPEND", true}, {"", "APPEND", false}}},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			t.Parallel()
			set, err := ParseAll([]string{tt.spec})
			if err != nil {
				t.Fatal(err)
			}
			for i, c := range tt.calls {
				a := set.OnCommand(ConnInfo{User: c.user}, Command{Tag: "a1", Name: c.cmd})
				if fired := a.Delay == time.Second; fired != c.fires {
					t.Errorf("call %d (%s by %q): fired = %v, want %v", i+1, c.cmd, c.user, fired, c.fires)
				}
			}
		})
	}
}

func TestCommandMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		target string
		cmd    Command
		want   bool
	}{
		{"*", Command{Name: "NOOP"}, true},
		{"FETCH", Command{Name: "FETCH"}, true},
		{"FETCH", Command{Name: "FETCH", UID: true}, true},
		{"UID FETCH", Command{Name: "FETCH"}, false},
		{"UID FETCH", Command{Name: "FETCH", UID: true}, true},
		{"SELECT", Command{Name: "EXAMINE"}, false},
		// Alternatives (issue 8): a default probe sends EXAMINE and AUTHENTICATE.
		{"SELECT|EXAMINE", Command{Name: "EXAMINE"}, true},
		{"SELECT|EXAMINE", Command{Name: "SELECT"}, true},
		{"SELECT|EXAMINE", Command{Name: "FETCH"}, false},
		{"LOGIN|AUTHENTICATE", Command{Name: "AUTHENTICATE"}, true},
		{"FETCH|UID STORE", Command{Name: "STORE", UID: true}, true},
		{"FETCH|UID STORE", Command{Name: "STORE"}, false},
		{"FETCH|UID STORE", Command{Name: "FETCH", UID: true}, true},
	}
	for _, tt := range tests {
		if got := matchCommand(tt.target, tt.cmd); got != tt.want {
			t.Errorf("matchCommand(%q, %+v) = %v, want %v", tt.target, tt.cmd, got, tt.want)
		}
	}
}

func TestConstants(t *testing.T) {
	t.Parallel()
	_, body, _ := strings.Cut(HTTPGreeting, "\r\n\r\n")
	if !strings.Contains(HTTPGreeting, "Content-Length: 150\r\n") || len(body) != 150 {
		t.Errorf("HTTPGreeting body is %d bytes; fix its Content-Length", len(body))
	}
	a, b := RandomGreeting(), RandomGreeting()
	if len(a) != 64 || !bytes.Equal(a, b) {
		t.Fatalf("RandomGreeting not 64 fixed bytes: %x, %x", a, b)
	}
}

// TestDelayJitter: the wait stays within [Duration, Duration+Jitter] and
// varies.
func TestDelayJitter(t *testing.T) {
	t.Parallel()
	set := mustSet(t, "delay:*=10ms,jitter=1ms")
	seen := map[time.Duration]bool{}
	for range 200 {
		d := set.OnCommand(ConnInfo{}, Command{Name: "NOOP"}).Delay
		if d < 10*time.Millisecond || d > 11*time.Millisecond {
			t.Fatalf("delay %v outside [10ms, 11ms]", d)
		}
		seen[d] = true
	}
	if len(seen) < 2 {
		t.Errorf("jitter never varied the delay")
	}
}
