package recording

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzDecode: any input decodes or fails with one line naming a line
// number, and what decodes re-encodes to a text that decodes the same.
func FuzzDecode(f *testing.F) {
	f.Add(sample)
	f.Add(Header + "\ntls none\n")
	f.Add(Header + "\ntls starttls\nS 0.1 * OK {3}\\r\\nabc\nC 1e3 x\n")
	f.Fuzz(func(t *testing.T, in string) {
		r, err := Decode(strings.NewReader(in))
		if err != nil {
			if msg := err.Error(); !strings.HasPrefix(msg, "recording line ") || strings.Contains(msg, "\n") {
				t.Fatalf("error %q: want one line naming the line", msg)
			}
			return
		}
		var a, b bytes.Buffer
		if err := Encode(&a, r); err != nil {
			t.Fatalf("Encode of a decoded recording: %v", err)
		}
		r2, err := Decode(bytes.NewReader(a.Bytes()))
		if err != nil {
			t.Fatalf("decode of the re-encoding: %v\n%s", err, a.String())
		}
		if err := Encode(&b, r2); err != nil || a.String() != b.String() {
			t.Fatalf("re-encoding unstable (%v):\n%s\n%s", err, a.String(), b.String())
		}
		r.Session()
		for _, l := range r.Lines {
			Wire(l.Text)
		}
	})
}
