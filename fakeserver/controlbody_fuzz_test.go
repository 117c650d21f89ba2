package fakeserver

import (
	"bytes"
	"testing"

	"github.com/imapprobe/imapprobe/faults"
)

// FuzzTakeNames: whatever JSON body a control client sends, takeNames
// does not panic, and when faults.Decode reads what it passes on, there
// is exactly one name for each fault read.
func FuzzTakeNames(f *testing.F) {
	for _, s := range []string{
		`["drop:FETCH"]`,
		`[{"name":"a","kind":"drop","at":"FETCH"},"drop:LIST"]`,
		`{"name":"slow","spec":"delay:SELECT=2s"}`,
		`{"faults":["drop:LIST",{"name":"in-file","spec":"drop:FETCH"}]}`,
		`{"FAULTS":[{"name":"x","spec":"drop:FETCH"}]}`,
		`[{"name":"d","spec":"delay:SELECT=2s","fault":{"kind":"delay","target":"SELECT","duration":"2s"},"fired":3}]`,
		`{"faults":[],"faults":[]}`,
		`[{"name":5}]`,
		`[{"name":"a","name":"b","kind":"drop","at":"FETCH"}]`,
		`{"kind":"greeting","variant":"bye","name":"\u00e9"}`,
		`[{"kind":"drop","kind":"reply"}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		names, out, err := takeNames(data)
		if err != nil {
			return
		}
		set, err := faults.Decode(bytes.NewReader(out))
		if err != nil || names == nil {
			return
		}
		if len(names) != len(set) {
			t.Fatalf("%d names for %d faults; body %q passed on as %q", len(names), len(set), data, out)
		}
	})
}
