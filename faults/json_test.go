package faults

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSetJSONRoundTrip(t *testing.T) {
	t.Parallel()
	set, err := ParseAll(everySpec)
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	var back Set
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(back.Specs(), "\n"), strings.Join(everySpec, "\n"); got != want {
		t.Errorf("specs after JSON:\n%s\nwant\n%s", got, want)
	}
	empty, _ := json.Marshal(Set{})
	if string(empty) != "[]" {
		t.Errorf("empty Set = %s, want []", empty)
	}
}

func TestDecode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     string // specs joined by " | "
	}{
		{"array", `[{"kind":"delay","target":"SELECT","duration":"2s"},{"kind":"cert","variant":"expired"}]`,
			"delay:SELECT=2s | cert:expired"},
		{"object", `{"faults":[{"kind":"drop","at":"FETCH","bytes":120,"rst":true,"times":1}]}`,
			"drop:FETCH+120,rst;times=1"},
		{"spec strings", `["greeting:bye", {"kind":"caps","op":"remove","capability":"starttls"}]`,
			"greeting:bye | caps:-STARTTLS"},
		{"empty", ` [] `, ""},
		{"scope", `[{"kind":"reply","command":"select","reply":"NO [NONEXISTENT] gone","user":"alice","nth":2}]`,
			"reply:SELECT=NO [NONEXISTENT] gone;user=alice;nth=2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			set, err := Decode(strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(set.Specs(), " | "); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	kinds := "valid kinds: " + wantKinds
	tests := []struct{ name, in, want string }{
		{"unknown kind", `[{"kind":"delya"}]`, `faults: unknown kind "delya" in {"kind":"delya"}; ` + kinds},
		{"no kind", `[{"target":"SELECT"}]`, `faults: missing "kind" in {"target":"SELECT"}; ` + kinds},
		{"unknown field", `[{"kind":"delay","target":"SELECT","duraton":"2s"}]`,
			`faults: delay fault {"kind":"delay","target":"SELECT","duraton":"2s"}: unknown field "duraton"; valid fields: kind, target, duration, jitter, user, nth, since, times`},
		{"bad duration", `[{"kind":"delay","target":"SELECT","duration":"soon"}]`,
			`faults: delay fault {"kind":"delay","target":"SELECT","duration":"soon"}: bad "duration": want a duration string such as "2s", got "soon"`},
		{"checked like a spec", `[{"kind":"cert","variant":"expird"}]`,
			`faults: cert fault {"kind":"cert","variant":"expird"}: bad "variant": unknown cert variant "expird"; valid: expired, expiring, not-yet-valid, self-signed, wrong-host, unknown-ca, missing-intermediate, tls1.0, tls1.1, tls1.2, rc4-only`},
		{"missing duration", `[{"kind":"delay","target":"SELECT"}]`,
			`faults: delay fault {"kind":"delay","target":"SELECT"}: missing "duration"; e.g. {"kind":"delay","target":"SELECT|EXAMINE","duration":"3s"}`},
		{"bad nth", `[{"kind":"cert","variant":"expired","nth":"2"}]`,
			`faults: cert fault {"kind":"cert","variant":"expired","nth":"2"}: bad "nth": want a whole number, got "2"`},
		{"bad spec string", `["delay:SELECT"]`,
			`faults: missing "=" in "delay:SELECT"; write delay:TARGET=DURATION[,jitter=DURATION] with TARGET a command, *, greeting or tls`},
		{"not a list", `42`, `faults: want [...] or {"faults":[...]}: json: cannot unmarshal number into Go value of type []json.RawMessage`},
		{"unknown top-level key", `{"fault":[]}`, `faults: want [...] or {"faults":[...]}: json: unknown field "fault"`},
		{"entry not an object", `[42]`, `faults: want a JSON object or spec string, got 42`},
		// Found by FuzzDecodeJSON: json.Decoder ignored what followed the object.
		{"data after the object", "{}\x91", `faults: want [...] or {"faults":[...]}, got more after the object: {}\x91`},
		{"object after the object", `{"faults":[]} {"faults":["cert:expired"]}`,
			`faults: want [...] or {"faults":[...]}, got more after the object: {"faults":[]} {"faults":["cert:expired"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Decode(strings.NewReader(tt.in))
			if err == nil || err.Error() != tt.want {
				t.Errorf("error:\n got %v\nwant %s", err, tt.want)
			}
		})
	}
}

func TestReadFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "faults.json")
	if err := os.WriteFile(good, []byte(`{"faults":["delay:tls=1s"]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	set, err := ReadFile(good)
	if err != nil || len(set) != 1 || set[0].Spec() != "delay:tls=1s" {
		t.Fatalf("ReadFile = %v, %v", set.Specs(), err)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`["cert:nope"]`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = ReadFile(bad)
	want := `faults: unknown cert variant "nope" in "cert:nope"; valid: expired, expiring, not-yet-valid, self-signed, ` +
		`wrong-host, unknown-ca, missing-intermediate, tls1.0, tls1.1, tls1.2, rc4-only (in ` + bad + `)`
	if err == nil || err.Error() != want {
		t.Errorf("error:\n got %v\nwant %s", err, want)
	}
	_, err = ReadFile(filepath.Join(dir, "missing.json"))
	if err == nil || !strings.HasPrefix(err.Error(), "faults: open ") {
		t.Errorf("missing file error = %v", err)
	}
}
