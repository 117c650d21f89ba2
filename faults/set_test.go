package faults

import (
	"bytes"
	"crypto/tls"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// actionOpts compares Actions; Rewrite is a func, checked separately.
var actionOpts = cmpopts.IgnoreFields(Action{}, "Rewrite")

func mustParse(t *testing.T, spec string) Fault {
	t.Helper()
	f, err := Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// wantRefused checks that read refuses in with exactly the error want.
func wantRefused(t *testing.T, read func([]byte) (Fault, error), in, want string) {
	t.Helper()
	f, err := read([]byte(in))
	if err == nil {
		t.Fatalf("accepted %q as %s, want an error", in, f.Spec())
	}
	if err.Error() != want {
		t.Errorf("error:\n got %s\nwant %s", err, want)
	}
}

// refusal is an input that must be refused, with its exact error.
type refusal struct{ in, want string }

// wantAllRefused runs wantRefused on each refusal, in parallel subtests.
func wantAllRefused(t *testing.T, read func([]byte) (Fault, error), tests []refusal) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			wantRefused(t, read, tt.in, tt.want)
		})
	}
}

// parseBytes is Parse in Unmarshal's shape, for wantRefused.
func parseBytes(b []byte) (Fault, error) { return Parse(string(b)) }

func mustSet(t *testing.T, specs ...string) Set {
	t.Helper()
	set, err := ParseAll(specs)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// TestHookActions pins the exact Action each fault gives at each hook; the
// other hooks must give the zero Action.
func TestHookActions(t *testing.T) {
	t.Parallel()
	fetch := Command{Tag: "a1", Name: "FETCH"}
	type hook int
	const (
		accept hook = iota
		handshake
		greeting
		command
	)
	tests := []struct {
		spec string
		at   hook
		cmd  Command
		want Action
	}{
		{"delay:SELECT=2s", command, Command{Name: "SELECT"}, Action{Delay: 2 * time.Second}},
		{"delay:greeting=500ms", greeting, Command{}, Action{Delay: 500 * time.Millisecond}},
		{"delay:tls=1s", handshake, Command{}, Action{Delay: time.Second}},
		{"delay:*=200ms", command, Command{Name: "NOOP"}, Action{Delay: 200 * time.Millisecond}},
		{"reply:SELECT=NO [NONEXISTENT] no such mailbox", command, Command{Name: "SELECT"},
			Action{Reply: "NO [NONEXISTENT] no such mailbox"}},
		{"drop:on-accept", accept, Command{}, Action{Close: CloseFIN}},
		{"drop:on-accept,rst", accept, Command{}, Action{Close: CloseRST}},
		{"drop:after-greeting", greeting, Command{}, Action{Close: CloseFIN}},
		{"drop:FETCH", command, fetch, Action{Close: CloseFIN}},
		{"drop:FETCH+120,rst", command, fetch, Action{Close: CloseRST, CutAfter: 120}},
		{"greeting:bye", greeting, Command{}, Action{Greeting: ByeGreeting, Close: CloseFIN}},
		{"greeting:silence", greeting, Command{}, Action{Silence: true}},
		{"greeting:preauth", greeting, Command{}, Action{PreAuth: true}},
		{"greeting:pop3", greeting, Command{}, Action{Raw: []byte(POP3Greeting), Silence: true}},
		{"greeting:smtp", greeting, Command{}, Action{Raw: []byte(SMTPGreeting), Silence: true}},
		{"greeting:http", greeting, Command{}, Action{Raw: []byte(HTTPGreeting), Close: CloseFIN}},
		{"greeting:random", greeting, Command{}, Action{Raw: RandomGreeting(), Close: CloseFIN}},
		{"greeting:text=* OK [CAPABILITY IMAP4rev1] Dovecot ready.", greeting, Command{},
			Action{Greeting: "* OK [CAPABILITY IMAP4rev1] Dovecot ready."}},
		{"garbage:FETCH=broken-fetch", command, fetch, Action{Raw: []byte(BrokenFetch)}},
		{"garbage:FETCH=short-literal", command, fetch, Action{Raw: []byte(ShortLiteral), Silence: true}},
		{"garbage:FETCH=unknown-untagged", command, fetch, Action{Raw: []byte(UnknownUntagged)}},
		{"garbage:FETCH=endless", command, fetch, Action{Endless: true}},
		{"garbage:FETCH=lf-only", command, fetch, Action{}}, // Rewrite only
		{"bye:SELECT=going down", command, Command{Name: "SELECT"}, Action{Raw: []byte("* BYE going down\r\n"), Close: CloseFIN}},
		{"bye:*", command, Command{Name: "NOOP"}, Action{Raw: []byte("* BYE Server shutting down\r\n"), Close: CloseFIN}},
		{"starttls:stall", command, Command{Name: "STARTTLS"}, Action{StartTLS: StartTLSStall}},
		{"starttls:plaintext", command, Command{Name: "STARTTLS"}, Action{StartTLS: StartTLSPlaintext}},
		// Non-matching commands give nothing.
		{"delay:SELECT=2s", command, Command{Name: "EXAMINE"}, Action{}},
		{"drop:UID FETCH", command, fetch, Action{}},
		{"starttls:stall", command, Command{Name: "NOOP"}, Action{}},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			t.Parallel()
			set := mustSet(t, tt.spec)
			c := ConnInfo{ID: 1}
			got := map[hook]Action{
				accept:    set.OnAccept(c),
				handshake: set.BeforeHandshake(c),
				greeting:  set.OnGreeting(c),
				command:   set.OnCommand(c, tt.cmd),
			}
			for h, a := range got {
				want := Action{}
				if h == tt.at {
					want = tt.want
				}
				if diff := cmp.Diff(want, a, actionOpts); diff != "" {
					t.Errorf("hook %d (-want +got):\n%s", h, diff)
				}
			}
		})
	}
}

func TestLFOnlyRewrite(t *testing.T) {
	t.Parallel()
	a := mustSet(t, "garbage:FETCH=lf-only").OnCommand(ConnInfo{}, Command{Name: "FETCH"})
	if a.Rewrite == nil {
		t.Fatal("no Rewrite")
	}
	in := []byte("* 1 FETCH (UID 1)\r\n")
	if got := a.Rewrite(in); string(got) != "* 1 FETCH (UID 1)\n" {
		t.Errorf("Rewrite = %q", got)
	}
	if string(in) != "* 1 FETCH (UID 1)\r\n" {
		t.Errorf("Rewrite changed its input to %q", in)
	}
	if got := a.Rewrite([]byte("literal data")); string(got) != "literal data" {
		t.Errorf("Rewrite of a partial line = %q", got)
	}
}

func TestMerge(t *testing.T) {
	t.Parallel()
	upper := func(b []byte) []byte { return bytes.ToUpper(b) }
	exclaim := func(b []byte) []byte { return append(slices.Clip(b), '!') }
	tests := []struct {
		name    string
		a, b    Action
		want    Action
		rewrite string // Rewrite("ab"), if set
	}{
		{"zero", Action{}, Action{}, Action{}, ""},
		{"delays add", Action{Delay: time.Second}, Action{Delay: 2 * time.Second}, Action{Delay: 3 * time.Second}, ""},
		{"raw concatenates", Action{Raw: []byte("a")}, Action{Raw: []byte("b")}, Action{Raw: []byte("ab")}, ""},
		{"first greeting", Action{Greeting: "x"}, Action{Greeting: "y"}, Action{Greeting: "x"}, ""},
		{"greeting from b", Action{}, Action{Greeting: "y"}, Action{Greeting: "y"}, ""},
		{"first reply", Action{Reply: "NO a"}, Action{Reply: "BAD b"}, Action{Reply: "NO a"}, ""},
		{"flags or", Action{PreAuth: true}, Action{Silence: true, Endless: true},
			Action{PreAuth: true, Silence: true, Endless: true}, ""},
		{"rst beats fin", Action{Close: CloseFIN}, Action{Close: CloseRST}, Action{Close: CloseRST}, ""},
		{"fin beats none", Action{Close: CloseFIN}, Action{}, Action{Close: CloseFIN}, ""},
		{"earliest cut", Action{CutAfter: 100}, Action{CutAfter: 10}, Action{CutAfter: 10}, ""},
		{"cut from a", Action{CutAfter: 100}, Action{}, Action{CutAfter: 100}, ""},
		{"starttls first", Action{StartTLS: StartTLSPlaintext}, Action{StartTLS: StartTLSStall},
			Action{StartTLS: StartTLSPlaintext}, ""},
		{"starttls from b", Action{}, Action{StartTLS: StartTLSStall}, Action{StartTLS: StartTLSStall}, ""},
		{"rewrites chain", Action{Rewrite: upper}, Action{Rewrite: exclaim}, Action{}, "AB!"},
		{"rewrite from b", Action{}, Action{Rewrite: exclaim}, Action{}, "ab!"},
		{"changes follow", Action{Changes: []Change{ChangeRename{From: "a", To: "b"}}},
			Action{Changes: []Change{ChangeAppend{Mailbox: "INBOX", Count: 1}}},
			Action{Changes: []Change{ChangeRename{From: "a", To: "b"}, ChangeAppend{Mailbox: "INBOX", Count: 1}}}, ""},
		{"changes from b", Action{}, Action{Changes: []Change{ChangeUIDValidity{Mailbox: "INBOX"}}},
			Action{Changes: []Change{ChangeUIDValidity{Mailbox: "INBOX"}}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Merge(tt.a, tt.b)
			if diff := cmp.Diff(tt.want, got, actionOpts, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if tt.rewrite != "" {
				if got.Rewrite == nil {
					t.Fatal("no Rewrite")
				}
				if r := string(got.Rewrite([]byte("ab"))); r != tt.rewrite {
					t.Errorf("Rewrite = %q, want %q", r, tt.rewrite)
				}
			}
		})
	}
}

func TestMergeDoesNotAlias(t *testing.T) {
	t.Parallel()
	shared := make([]byte, 1, 10)
	shared[0] = 'a'
	m := Merge(Action{Raw: shared}, Action{Raw: []byte("b")})
	m.Raw[0] = 'z'
	if shared[0] != 'a' || len(shared) != 1 || string(shared[:2]) == "ab" {
		t.Errorf("Merge wrote into its argument: %q", shared[:2])
	}
}

// TestSetMergesFaults runs several faults at one hook through a Set.
func TestSetMergesFaults(t *testing.T) {
	t.Parallel()
	set := mustSet(t,
		"delay:FETCH=1s",
		"delay:*=200ms",
		"garbage:FETCH=unknown-untagged",
		"bye:FETCH=bye now",
		"reply:FETCH=NO first",
		"reply:FETCH=BAD second",
		"drop:FETCH+50,rst",
		"drop:FETCH+20",
	)
	got := set.OnCommand(ConnInfo{}, Command{Name: "FETCH", UID: true})
	want := Action{
		Delay:    1200 * time.Millisecond,
		Raw:      []byte(UnknownUntagged + "* BYE bye now\r\n"),
		Reply:    "NO first",
		Close:    CloseRST,
		CutAfter: 20,
	}
	if diff := cmp.Diff(want, got, actionOpts); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if a := Set(nil).OnCommand(ConnInfo{}, Command{Name: "FETCH"}); !cmp.Equal(a, Action{}, actionOpts) || a.Rewrite != nil {
		t.Errorf("nil Set acted: %+v", a)
	}
}

func TestSetCapabilities(t *testing.T) {
	t.Parallel()
	base := []string{"IMAP4REV1", "STARTTLS", "AUTH=PLAIN", "IDLE"}
	tests := []struct {
		specs []string
		user  string
		want  string
	}{
		{nil, "", "IMAP4REV1 STARTTLS AUTH=PLAIN IDLE"},
		{[]string{"caps:-STARTTLS"}, "", "IMAP4REV1 AUTH=PLAIN IDLE"},
		{[]string{"caps:+LOGINDISABLED"}, "", "IMAP4REV1 STARTTLS AUTH=PLAIN IDLE LOGINDISABLED"},
		{[]string{"caps:-AUTH=PLAIN", "caps:+AUTH=XOAUTH2"}, "", "IMAP4REV1 STARTTLS IDLE AUTH=XOAUTH2"},
		{[]string{"caps:refuse=AUTH=XOAUTH2"}, "", "IMAP4REV1 STARTTLS AUTH=PLAIN IDLE AUTH=XOAUTH2"},
		{[]string{"caps:refuse=AUTH=PLAIN"}, "", "IMAP4REV1 STARTTLS AUTH=PLAIN IDLE"},
		{[]string{"caps:+IDLE"}, "", "IMAP4REV1 STARTTLS AUTH=PLAIN IDLE"},
		{[]string{"caps:-IDLE;user=bob"}, "alice", "IMAP4REV1 STARTTLS AUTH=PLAIN IDLE"},
		{[]string{"caps:-IDLE;user=bob"}, "bob", "IMAP4REV1 STARTTLS AUTH=PLAIN"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.specs, " "), func(t *testing.T) {
			t.Parallel()
			in := slices.Clone(base)
			got := mustSet(t, tt.specs...).Capabilities(ConnInfo{User: tt.user}, in)
			if s := strings.Join(got, " "); s != tt.want {
				t.Errorf("got %s, want %s", s, tt.want)
			}
			if !slices.Equal(in, base) {
				t.Errorf("input changed to %v", in)
			}
		})
	}
}

// TestCapsCountChanges: nth counts only lists the edit would change.
func TestCapsCountChanges(t *testing.T) {
	t.Parallel()
	set := mustSet(t, "caps:-STARTTLS;nth=2")
	lists := [][]string{{"IMAP4REV1"}, {"IMAP4REV1", "STARTTLS"}, {"IMAP4REV1", "STARTTLS"}, {"IMAP4REV1", "STARTTLS"}}
	var got []string
	for _, l := range lists {
		got = append(got, strings.Join(set.Capabilities(ConnInfo{}, l), " "))
	}
	want := "IMAP4REV1 | IMAP4REV1 STARTTLS | IMAP4REV1 | IMAP4REV1 STARTTLS"
	if s := strings.Join(got, " | "); s != want {
		t.Errorf("got %s, want %s", s, want)
	}
}

func TestOnAuthenticate(t *testing.T) {
	t.Parallel()
	set := mustSet(t, "caps:refuse=AUTH=XOAUTH2;times=1", "delay:AUTHENTICATE=1s")
	auth := Command{Tag: "a2", Name: "AUTHENTICATE"}
	tests := []struct {
		mech string
		want Action
	}{
		{"PLAIN", Action{Delay: time.Second}},
		{"XOAUTH2", Action{Delay: time.Second, Reply: RefuseReply}},
		{"xoauth2", Action{Delay: time.Second}}, // times=1 is used up
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, set.OnAuthenticate(ConnInfo{}, auth, tt.mech), actionOpts); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.mech, diff)
		}
	}
	if a := set.OnCommand(ConnInfo{}, auth); a.Reply != "" {
		t.Errorf("OnCommand refused without a mechanism: %+v", a)
	}
}

func TestSetTLSConfig(t *testing.T) {
	t.Parallel()
	good := &tls.Config{MinVersion: tls.VersionTLS12, NextProtos: []string{"imap"}}
	cfg, err := Set(nil).TLSConfig(good, nil)
	if err != nil || cfg != good {
		t.Fatalf("empty Set: %p, %v; want good", cfg, err)
	}
	cfg, err = mustSet(t, "delay:tls=1s").TLSConfig(good, nil)
	if err != nil || cfg != good {
		t.Fatalf("no TLSHook: %p, %v; want good", cfg, err)
	}
	// Hooks compose: a bad certificate and a version cap at once.
	cfg, err = mustSet(t, "cert:self-signed", "cert:tls1.1").TLSConfig(good, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Certificates) != 1 || cfg.MaxVersion != tls.VersionTLS11 || cfg.MinVersion != tls.VersionTLS10 {
		t.Errorf("composed config: %d certs, versions %x-%x", len(cfg.Certificates), cfg.MinVersion, cfg.MaxVersion)
	}
	if cfg.NextProtos[0] != "imap" || good.MaxVersion != 0 || len(good.Certificates) != 0 {
		t.Errorf("good config not copied: %+v", good)
	}
}

func TestRewriteEditsResponseLines(t *testing.T) {
	t.Parallel()
	f := mustParse(t, "rewrite:SELECT=[READ-WRITE]>[READ-ONLY];times=1")
	set := Set{f}
	a := set.OnCommand(ConnInfo{}, Command{Tag: "a", Name: "SELECT"})
	if a.Rewrite == nil {
		t.Fatal("no Rewrite on a matching command")
	}
	got := string(a.Rewrite([]byte("a OK [READ-WRITE] SELECT completed\r\n")))
	if want := "a OK [READ-ONLY] SELECT completed\r\n"; got != want {
		t.Errorf("rewrite = %q, want %q", got, want)
	}
	if b := set.OnCommand(ConnInfo{}, Command{Tag: "b", Name: "SELECT"}); b.Rewrite != nil {
		t.Error("times=1 fired twice")
	}
	if c := set.OnCommand(ConnInfo{}, Command{Tag: "c", Name: "EXAMINE"}); c.Rewrite != nil {
		t.Error("fired on another command")
	}
}

// TestActionIsZeroCoversEveryField sets each Action field in turn: IsZero
// must see every one, so a new field cannot go unrecorded.
func TestActionIsZeroCoversEveryField(t *testing.T) {
	t.Parallel()
	if !(Action{}).IsZero() {
		t.Fatal("the zero Action is not IsZero")
	}
	typ := reflect.TypeOf(Action{})
	for i := range typ.NumField() {
		var a Action
		f := reflect.ValueOf(&a).Elem().Field(i)
		switch f.Kind() {
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Int, reflect.Int64:
			f.SetInt(1)
		case reflect.String:
			f.SetString("x")
		case reflect.Slice:
			f.Set(reflect.MakeSlice(f.Type(), 1, 1))
		case reflect.Func:
			f.Set(reflect.ValueOf(func(b []byte) []byte { return b }))
		default:
			t.Fatalf("field %s has kind %s: teach this test and IsZero about it", typ.Field(i).Name, f.Kind())
		}
		if a.IsZero() {
			t.Errorf("IsZero ignores field %s", typ.Field(i).Name)
		}
	}
}

// TestObservedReportsFaultsThatAct: Observed names exactly the faults that
// acted, with the hook, and merges as Set does.
func TestObservedReportsFaultsThatAct(t *testing.T) {
	t.Parallel()
	set, err := ParseAll([]string{"delay:SELECT=1s", "reply:LIST=NO [SERVERBUG] x", "caps:-STARTTLS", "caps:+LOGINDISABLED"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	o := Observed{Set: set, Fired: func(hook string, f Fault) { got = append(got, hook+" "+f.Spec()) }}
	a := o.OnCommand(ConnInfo{}, Command{Tag: "a", Name: "SELECT"})
	if a.Delay != time.Second || a.Reply != "" {
		t.Errorf("SELECT action = %+v", a)
	}
	caps := o.Capabilities(ConnInfo{}, []string{"IMAP4REV1", "LOGINDISABLED"})
	if want := []string{"IMAP4REV1", "LOGINDISABLED"}; !slices.Equal(caps, want) {
		t.Errorf("caps = %v, want %v", caps, want)
	}
	if want := []string{"command delay:SELECT=1s"}; !slices.Equal(got, want) {
		t.Errorf("fired = %v, want %v", got, want)
	}
}

// TestAlternativesFire: a target with alternatives fires for each of them
// at the hook the server calls, AUTHENTICATE included.
func TestAlternativesFire(t *testing.T) {
	t.Parallel()
	set := mustSet(t, "reply:LOGIN|AUTHENTICATE=NO [UNAVAILABLE] later", "delay:SELECT|EXAMINE=1s")
	if got := set.OnAuthenticate(ConnInfo{}, Command{Name: "AUTHENTICATE"}, "PLAIN").Reply; got != "NO [UNAVAILABLE] later" {
		t.Errorf("AUTHENTICATE reply = %q", got)
	}
	if got := set.OnCommand(ConnInfo{}, Command{Name: "LOGIN"}).Reply; got != "NO [UNAVAILABLE] later" {
		t.Errorf("LOGIN reply = %q", got)
	}
	for _, name := range []string{"SELECT", "EXAMINE"} {
		if got := set.OnCommand(ConnInfo{}, Command{Name: name}).Delay; got != time.Second {
			t.Errorf("%s delay = %v", name, got)
		}
	}
	if a := set.OnCommand(ConnInfo{}, Command{Name: "FETCH"}); !a.IsZero() {
		t.Errorf("FETCH got %+v", a)
	}
}
