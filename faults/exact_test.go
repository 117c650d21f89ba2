package faults

import (
	"strings"
	"testing"
)

// TestJSONTextIsNotReparsed (issue 16 item 10): a JSON text field is taken
// as it is, never read for scope options or quotes, and comes back from
// Marshal byte for byte. The text form quotes what its bare form cannot
// hold, and reads back the same fault.
func TestJSONTextIsNotReparsed(t *testing.T) {
	t.Parallel()
	tests := []struct{ json, spec string }{
		{`{"kind":"reply","command":"SELECT","reply":"NO [CANNOT] x;times=1"}`,
			`reply:SELECT="NO [CANNOT] x;times=1"`},
		{`{"kind":"reply","command":"SELECT","reply":"NO [CANNOT] x;times=1","times":2}`,
			`reply:SELECT="NO [CANNOT] x;times=1";times=2`},
		{`{"kind":"reply","command":"LOGIN","reply":"NO a;nth=3;b"}`,
			`reply:LOGIN=NO a;nth=3;b`},
		{`{"kind":"bye","command":"FETCH","text":"going;nth=3"}`, `bye:FETCH="going;nth=3"`},
		{`{"kind":"bye","command":"FETCH","text":"going;user=bob","user":"alice"}`, `bye:FETCH="going;user=bob";user=alice`},
		{`{"kind":"bye","command":"*","text":"\"quoted\" at the start"}`, `bye:*="\"quoted\" at the start"`},
		{`{"kind":"greeting","variant":"text","text":"* OK hi;user=bob"}`, `greeting:text="* OK hi;user=bob"`},
		{`{"kind":"greeting","variant":"text","text":"* OK ready;times"}`, `greeting:text="* OK ready;times"`},
		{`{"kind":"greeting","variant":"text","text":"* OK say \"hi\" \\o/"}`, `greeting:text=* OK say "hi" \o/`},
		{`{"kind":"rewrite","command":"LIST","old":"a>b","new":"c;times=2"}`, `rewrite:LIST="a>b">"c;times=2"`},
		{`{"kind":"rewrite","command":"LIST","old":"\"x","new":"\"y"}`, `rewrite:LIST="\"x">"\"y"`},
		{`{"kind":"rewrite","command":"FETCH","old":"a;nth=1","new":""}`, `rewrite:FETCH=a;nth=1>`},
		{`{"kind":"rewrite","command":"FETCH","old":"x","new":"y;nth=1","nth":1}`, `rewrite:FETCH=x>"y;nth=1";nth=1`},
		{`{"kind":"reply","command":"SELECT","reply":"NO <b>&amp;</b>"}`, `reply:SELECT=NO <b>&amp;</b>`},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			t.Parallel()
			f, err := Unmarshal([]byte(tt.json))
			if err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if got := mustMarshal(t, f); got != tt.json {
				t.Errorf("Marshal after Unmarshal:\n got %s\nwant %s", got, tt.json)
			}
			if got := f.Spec(); got != tt.spec {
				t.Errorf("Spec() = %s, want %s", got, tt.spec)
			}
			g, err := Parse(f.Spec())
			if err != nil {
				t.Fatalf("Parse(Spec()): %v", err)
			}
			if got := mustMarshal(t, g); got != tt.json {
				t.Errorf("Marshal after Parse(Spec()):\n got %s\nwant %s", got, tt.json)
			}
		})
	}
}

// TestParseQuoted: a double-quoted text in a spec, with \" and \\.
func TestParseQuoted(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, json, spec string }{
		{`reply:SELECT="NO [CANNOT] x;times=1";times=2`,
			`{"kind":"reply","command":"SELECT","reply":"NO [CANNOT] x;times=1","times":2}`,
			`reply:SELECT="NO [CANNOT] x;times=1";times=2`},
		{`reply:SELECT="NO x"`, `{"kind":"reply","command":"SELECT","reply":"NO x"}`, `reply:SELECT=NO x`},
		{`rewrite:LIST="a>b">"c"`, `{"kind":"rewrite","command":"LIST","old":"a>b","new":"c"}`, `rewrite:LIST="a>b">c`},
		{`rewrite:LIST=a>""`, `{"kind":"rewrite","command":"LIST","old":"a","new":""}`, `rewrite:LIST=a>`},
		{`greeting:text="say \"hi\" \\o/";times=1`,
			`{"kind":"greeting","variant":"text","text":"say \"hi\" \\o/","times":1}`, `greeting:text=say "hi" \o/;times=1`},
		{`bye:*="\"q\""`, `{"kind":"bye","command":"*","text":"\"q\""}`, `bye:*="\"q\""`},
		// Bare texts may hold quotes after their first character.
		{`reply:SELECT=NO "INBOX" is gone`, `{"kind":"reply","command":"SELECT","reply":"NO \"INBOX\" is gone"}`,
			`reply:SELECT=NO "INBOX" is gone`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			f := mustParse(t, tt.in)
			if got := mustMarshal(t, f); got != tt.json {
				t.Errorf("Marshal:\n got %s\nwant %s", got, tt.json)
			}
			if got := f.Spec(); got != tt.spec {
				t.Errorf("Spec() = %s, want %s", got, tt.spec)
			}
		})
	}
}

func TestParseQuotedErrors(t *testing.T) {
	t.Parallel()
	tests := []refusal{
		{`reply:SELECT="NO x`, `faults: unclosed quote in "reply:SELECT=\"NO x"; end a quoted text with "`},
		{`reply:SELECT="NO \x"`, `faults: bad escape in a quoted text in "reply:SELECT=\"NO \\x\""; only \" (a quote) and \\ (a backslash) are escapes`},
		{`reply:SELECT="NO x" y`, `faults: " y" after the closing quote in "reply:SELECT=\"NO x\" y"; end the text with its quote, then only ;OPTION=VALUE`},
		{`rewrite:LIST="a"b`, `faults: missing "OLD>NEW" in "rewrite:LIST=\"a\"b"; write rewrite:COMMAND=OLD>NEW, e.g. rewrite:SELECT=[READ-WRITE]>[READ-ONLY]`},
		{`greeting:text="";times=1`, `faults: empty greeting text in "greeting:text=\"\";times=1"; give the greeting line, e.g. * OK ready`},
		{`reply:SELECT="NO x";tmes=1`, `faults: unknown option "tmes=1" in "reply:SELECT=\"NO x\";tmes=1"; valid options: user=NAME, nth=N, since=N, times=N`},
	}
	wantAllRefused(t, parseBytes, tests)
}

// TestInvalidUnicodeRefused: nothing in a spec or JSON fault is turned
// into U+FFFD; the error is one line that names the fault.
func TestInvalidUnicodeRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
		json           bool
	}{
		{"spec", "reply:SELECT=NO \xff", `faults: invalid UTF-8 (byte 0xff at offset 16) in "reply:SELECT=NO \xff"; a spec is UTF-8 text`, false},
		{"spec user", "delay:SELECT=1s;user=\xc3", `faults: invalid UTF-8 (byte 0xc3 at offset 21) in "delay:SELECT=1s;user=\xc3"; a spec is UTF-8 text`, false},
		{"json field", "[{\"kind\":\"reply\",\"command\":\"SELECT\",\"reply\":\"NO \xff\"}]",
			`faults: reply fault {"kind":"reply","command":"SELECT","reply":"NO \xff"}: invalid UTF-8 (byte 0xff at offset 47); JSON text must be UTF-8`, true},
		{"json spec string", "[\"bye:*=\xfe\"]", `faults: invalid UTF-8 (byte 0xfe at offset 7) in spec "bye:*=\xfe"; a spec is UTF-8 text`, true},
		{"json lone surrogate", `[{"kind":"greeting","variant":"text","text":"* OK \ud800"}]`,
			`faults: greeting fault {"kind":"greeting","variant":"text","text":"* OK \ud800"}: lone UTF-16 surrogate \ud800 at offset 49; JSON text must be UTF-8`, true},
		{"json low surrogate first", `[{"kind":"bye","command":"*","text":"\udc00\ud800"}]`,
			`faults: bye fault {"kind":"bye","command":"*","text":"\udc00\ud800"}: lone UTF-16 surrogate \udc00 at offset 36; JSON text must be UTF-8`, true},
		{"json surrogate in spec string", `["bye:*=\uD83D"]`, `faults: lone UTF-16 surrogate \uD83D at offset 7 in spec "bye:*=\uD83D"; a spec is UTF-8 text`, true},
		{"json surrogate in user", `[{"kind":"delay","target":"*","duration":"1s","user":"\ud800x"}]`,
			`faults: delay fault {"kind":"delay","target":"*","duration":"1s","user":"\ud800x"}: lone UTF-16 surrogate \ud800 at offset 53; JSON text must be UTF-8`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var err error
			var got Set
			if tt.json {
				got, err = Decode(strings.NewReader(tt.in))
			} else {
				var f Fault
				if f, err = Parse(tt.in); f != nil {
					got = Set{f}
				}
			}
			if err == nil {
				t.Fatalf("accepted %q as %q", tt.in, got.Specs())
			}
			if err.Error() != tt.want {
				t.Errorf("error:\n got %s\nwant %s", err, tt.want)
			}
			if strings.ContainsAny(err.Error(), "\n\ufffd") {
				t.Errorf("error is not one clean line: %q", err)
			}
		})
	}
	// A valid surrogate pair is a character, and stays one.
	f, err := Unmarshal([]byte(`{"kind":"bye","command":"*","text":"\ud83d\ude00 bye"}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.(*Bye).Text; got != "\U0001F600 bye" {
		t.Errorf("text = %q", got)
	}
}

// TestMarshalKeepsHTML: Marshal does not escape < > & (as json.Marshal
// does), so a reply text reads as written.
func TestMarshalKeepsHTML(t *testing.T) {
	t.Parallel()
	f := mustParse(t, "reply:*=NO <a> & <b>")
	want := `{"kind":"reply","command":"*","reply":"NO <a> & <b>"}`
	if got := mustMarshal(t, f); got != want {
		t.Errorf("Marshal = %s, want %s", got, want)
	}
	data, err := Set{f}.MarshalJSON()
	if err != nil || string(data) != "["+want+"]" {
		t.Errorf("Set.MarshalJSON = %s, %v", data, err)
	}
}

// TestJSONStrict: a JSON fault's keys are exact and given once, and every
// value keeps its meaning in the text form too.
func TestJSONStrict(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"key twice", `{"kind":"reply","command":"SELECT","reply":"NO a","reply":"NO b"}`,
			`faults: key "reply" given twice, got {"kind":"reply","command":"SELECT","reply":"NO a","reply":"NO b"}`},
		{"key case", `{"kind":"reply","Command":"SELECT","reply":"NO a"}`,
			`faults: reply fault {"kind":"reply","Command":"SELECT","reply":"NO a"}: unknown field "Command"; valid fields: kind, command, reply, user, nth, since, times`},
		{"line break", `{"kind":"reply","command":"SELECT","reply":"NO a\r\n* BYE"}`,
			`faults: reply fault {"kind":"reply","command":"SELECT","reply":"NO a\r\n* BYE"}: bad "reply": line break in reply "NO a\r\n* BYE"; a fault's text is one line`},
		{"user with ;", `{"kind":"delay","target":"SELECT","duration":"1s","user":"a;times=1"}`,
			`faults: delay fault {"kind":"delay","target":"SELECT","duration":"1s","user":"a;times=1"}: bad "user": bad user "a;times=1"; a user name here may not hold ";" or a line break`},
		{"negative nth", `{"kind":"cert","variant":"expired","nth":-1}`,
			`faults: cert fault {"kind":"cert","variant":"expired","nth":-1}: bad "nth": bad nth -1; want a whole number of 1 or more, or none`},
		{"negative since", `{"kind":"reply","command":"APPEND","reply":"NO [OVERQUOTA] x","since":-1}`,
			`faults: reply fault {"kind":"reply","command":"APPEND","reply":"NO [OVERQUOTA] x","since":-1}: bad "since": bad since -1; want a whole number of 1 or more, or none`},
		{"bytes for on-accept", `{"kind":"drop","at":"on-accept","bytes":5}`,
			`faults: drop fault {"kind":"drop","at":"on-accept","bytes":5}: bad "bytes": drop on-accept takes no byte count; only a command target or bytes takes a byte count`},
		{"capability with ;", `{"kind":"caps","op":"add","capability":"X;times=1"}`,
			`faults: caps fault {"kind":"caps","op":"add","capability":"X;times=1"}: bad "capability": bad capability "X;times=1"; a capability is letters, digits and =+-._/: only, e.g. STARTTLS or AUTH=PLAIN`},
		{"trailing data", `{"kind":"cert","variant":"expired"} {}`,
			`faults: want one JSON object, got {"kind":"cert","variant":"expired"} {}`},
		{"multi-line is one line", "{\"kind\":\"cert\",\n \"variant\":\"expird\"}",
			`faults: cert fault {"kind":"cert","variant":"expird"}: bad "variant": unknown cert variant "expird"; valid: expired, expiring, not-yet-valid, self-signed, wrong-host, unknown-ca, missing-intermediate, tls1.0, tls1.1, tls1.2, rc4-only`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			wantRefused(t, Unmarshal, tt.in, tt.want)
		})
	}
}

// TestDelayBounded: a delay or jitter over a day is refused; the jitter
// used to overflow Duration+Jitter and panic in rand.N.
func TestDelayBounded(t *testing.T) {
	t.Parallel()
	for _, spec := range []string{"delay:*=1s,jitter=2562047h47m16.854775807s", "delay:*=25h"} {
		if f, err := Parse(spec); err == nil {
			t.Errorf("Parse(%q) = %s, want an error", spec, f.Spec())
		}
	}
	f, err := Parse("delay:*=24h,jitter=24h")
	if err != nil {
		t.Fatal(err)
	}
	if d := f.(CommandHook).OnCommand(ConnInfo{}, Command{Name: "NOOP"}).Delay; d < 24*3600e9 || d > 48*3600e9 {
		t.Errorf("delay %v", d)
	}
}

func mustMarshal(t *testing.T, f Fault) string {
	t.Helper()
	data, err := Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
