package textreport

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestUTF8Locale(t *testing.T) {
	t.Parallel()
	cases := []struct {
		env  map[string]string
		want bool
	}{
		{nil, false},
		{map[string]string{"LANG": "C"}, false},
		{map[string]string{"LANG": "POSIX"}, false},
		{map[string]string{"LANG": "en_US.UTF-8"}, true},
		{map[string]string{"LANG": "de_DE.utf8"}, true},
		{map[string]string{"LANG": "en_US.ISO-8859-1"}, false},
		{map[string]string{"LC_ALL": "C", "LANG": "en_US.UTF-8"}, false},
		{map[string]string{"LC_CTYPE": "C.UTF-8", "LANG": "C"}, true},
		{map[string]string{"LC_ALL": "", "LC_CTYPE": "POSIX", "LANG": "en_US.UTF-8"}, false},
		{map[string]string{"LC_ALL": "C.UTF-8", "LC_CTYPE": "C"}, true},
	}
	for _, c := range cases {
		if got := UTF8Locale(func(k string) string { return c.env[k] }); got != c.want {
			t.Errorf("%v: UTF-8 %v, want %v", c.env, got, c.want)
		}
	}
}

// TestASCIIWriter: every non-ASCII rune becomes \uXXXX (a surrogate pair
// above U+FFFF), an invalid byte \xNN, a rune split between writes is
// whole, and JSON stays the same JSON.
func TestASCIIWriter(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	w := &asciiWriter{w: &buf}
	in := "a✓b\xffc😀d"
	for _, piece := range []string{in[:2], in[2:3], in[3:9], in[9:]} { // split inside ✓ and 😀
		if n, err := w.Write([]byte(piece)); n != len(piece) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	if got, want := buf.String(), `a\u2713b\xffc\ud83d\ude00d`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	buf.Reset()
	doc := map[string]string{"greeting": "* OK Grüße ☃ 😀"}
	if err := json.NewEncoder(w).Encode(doc); err != nil {
		t.Fatal(err)
	}
	var back map[string]string
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil || back["greeting"] != doc["greeting"] || !isASCII(buf.Bytes()) {
		t.Errorf("JSON %q decodes to %q (%v)", buf.String(), back, err)
	}
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c > 0x7F {
			return false
		}
	}
	return true
}
