package faults

import (
	"regexp"
	"strings"
	"testing"
)

// TestJSONMissingFields (issue 8): a JSON fault missing its fields is told
// which JSON fields, with a JSON example, never about text syntax the user
// did not write (as "missing \"=\" in \"reply:SELECT=\"" was).
func TestJSONMissingFields(t *testing.T) {
	t.Parallel()
	tests := []refusal{
		{`{"kind":"reply","command":"SELECT|EXAMINE"}`,
			`faults: reply fault {"kind":"reply","command":"SELECT|EXAMINE"}: missing "reply"; e.g. {"kind":"reply","command":"SELECT|EXAMINE","reply":"NO [NONEXISTENT] no such mailbox"}`},
		{`{"kind":"reply"}`,
			`faults: reply fault {"kind":"reply"}: missing "command", "reply"; e.g. {"kind":"reply","command":"SELECT|EXAMINE","reply":"NO [NONEXISTENT] no such mailbox"}`},
		{`{"kind":"delay","target":"SELECT"}`,
			`faults: delay fault {"kind":"delay","target":"SELECT"}: missing "duration"; e.g. {"kind":"delay","target":"SELECT|EXAMINE","duration":"3s"}`},
		{`{"kind":"rewrite","command":"LIST","old":"a"}`,
			`faults: rewrite fault {"kind":"rewrite","command":"LIST","old":"a"}: missing "new"; e.g. {"kind":"rewrite","command":"FETCH","old":"RFC822.SIZE ","new":"RFC822.SIZE 9"}`},
		{`{"kind":"greeting","variant":"text"}`,
			`faults: greeting fault {"kind":"greeting","variant":"text"}: bad "text": empty greeting text; give the greeting line, e.g. * OK ready`},
		{`{"kind":"throttle"}`,
			`faults: throttle fault {"kind":"throttle"}: bad "rate": no rate and no chunk; give rate (bytes per second), chunk (bytes per write) or both`},
		{`{"kind":"drop","at":"bytes"}`,
			`faults: drop fault {"kind":"drop","at":"bytes"}: bad "bytes": bad byte count 0; want a whole number of 1 or more`},
		{`{"kind":"reply","command":"SELECT","reply":"NO"}`,
			`faults: reply fault {"kind":"reply","command":"SELECT","reply":"NO"}: bad "reply": no text after NO; IMAP needs one, e.g. NO [CODE] text`},
		{`{"kind":"caps","op":"remove"}`,
			`faults: caps fault {"kind":"caps","op":"remove"}: missing "capability"; e.g. {"kind":"caps","op":"remove","capability":"STARTTLS"}`},
	}
	wantAllRefused(t, Unmarshal, tests)
}

// TestJSONErrorsSpeakJSON: for every kind, a bare {"kind":K} is refused
// with an error naming JSON fields, whose example decodes, and that
// quotes no text spec.
func TestJSONErrorsSpeakJSON(t *testing.T) {
	t.Parallel()
	example := regexp.MustCompile(`e\.g\. (\{.*\})$`)
	for _, k := range Kinds() {
		in := `{"kind":"` + k + `"}`
		f, err := Unmarshal([]byte(in))
		if err == nil {
			t.Errorf("%s accepted as %s", in, f.Spec())
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "faults: "+k+" fault "+in+": ") {
			t.Errorf("%s: error does not name the JSON fault: %s", in, msg)
		}
		if strings.Contains(msg, `"`+k+`:`) || strings.Contains(msg, "write "+k+":") {
			t.Errorf("%s: error speaks of text syntax: %s", in, msg)
		}
		if m := example.FindStringSubmatch(msg); m != nil {
			if _, err := Unmarshal([]byte(m[1])); err != nil {
				t.Errorf("%s: the example %s does not decode: %v", in, m[1], err)
			}
		} else if !strings.Contains(msg, `bad "`) {
			t.Errorf("%s: error names no field: %s", in, msg)
		}
	}
}

// TestKindExamples: the example each kind shows in a missing-field error
// parses.
func TestKindExamples(t *testing.T) {
	t.Parallel()
	for name, k := range kinds {
		f, err := Parse(k.example)
		if err != nil || f.Kind() != name {
			t.Errorf("kind %s: example %q: %v", name, k.example, err)
		}
	}
}
