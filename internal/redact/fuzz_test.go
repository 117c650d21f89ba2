package redact

import (
	"encoding/base64"
	"strings"
	"testing"
)

// FuzzRedact embeds a registered secret in arbitrary lines, in the shapes
// a broken peer echoes it (raw, upper- or lower-cased, or a base64
// continuation), on either side: it never survives Line or Scrub.
func FuzzRedact(f *testing.F) {
	f.Add([]byte("T1 OK [CAPABILITY X-"), []byte("]"), uint8(1), false)
	f.Add([]byte(`{"token":"`), []byte(`"}`), uint8(3), false)
	f.Add([]byte("a LOGIN alice "), []byte(""), uint8(0), true)
	f.Add([]byte("* LIST () \"/\" {12}\r\nAb"), []byte("{99999999}"), uint8(2), false)
	const secret = "Fuzz-Redact-Canary"
	f.Fuzz(func(t *testing.T, before, after []byte, shape uint8, client bool) {
		side := Server
		if client {
			side = Client
		}
		s := NewSession(Encodings("alice", secret)...)
		var line string
		switch shape % 4 {
		case 0:
			line = string(before) + secret + string(after)
		case 1:
			line = string(before) + strings.ToUpper(secret) + string(after)
		case 2:
			line = string(before) + strings.ToLower(secret) + string(after)
		case 3:
			line = "+ " + base64.StdEncoding.EncodeToString([]byte(string(before)+secret+string(after)))
		}
		for _, out := range []string{s.Line(side, []byte(line)), s.Scrub(line)} {
			if strings.Contains(lowerASCII(out), lowerASCII(secret)) {
				t.Fatalf("%q survived in %q", secret, out)
			}
		}
	})
}
