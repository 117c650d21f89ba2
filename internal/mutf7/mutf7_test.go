package mutf7

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestDecode(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want, err string }{
		{"INBOX", "INBOX", ""},
		{"Entw&APw-rfe", "Entwürfe", ""},
		{"Tom &- Jerry", "Tom & Jerry", ""},
		{"&ZeVnLIqe-", "日本語", ""},
		{"a&APw", "", `modified UTF-7: "&" without its "-"`},
		{"&!!-", "", `modified UTF-7: bad base64 run "!!"`},
		{"&AGE-", "", `modified UTF-7: run "AGE" is not UTF-16 of non-ASCII text`}, // "a", which must not be encoded
	} {
		got, err := Decode(tc.in)
		if (err == nil) != (tc.err == "") || (err != nil && err.Error() != tc.err) || got != tc.want {
			t.Errorf("Decode(%q) = %q, %v; want %q, %q", tc.in, got, err, tc.want, tc.err)
		}
	}
}

// FuzzDecode: no panic; a name without "&" is itself; a decoded name is
// valid UTF-8.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{"INBOX", "Entw&APw-rfe", "&-", "&", "&AGE-", "&2D3eAA-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Decode(s)
		if !strings.Contains(s, "&") && (err != nil || got != s) {
			t.Fatalf("Decode(%q) = %q, %v; want it unchanged", s, got, err)
		}
		if err == nil && strings.Contains(s, "&") && !utf8.ValidString(got) && utf8.ValidString(s) {
			t.Fatalf("Decode(%q) = %q: not UTF-8", s, got)
		}
	})
}
