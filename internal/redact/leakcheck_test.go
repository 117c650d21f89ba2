package redact

import (
	"encoding/base64"
	"strings"
)

// leakedForm returns how out still shows secret, or "": raw or in another
// ASCII case, behind JSON escapes, or base64 at any alignment inside any
// base64 run (also base64 of JSON with escapes).
func leakedForm(out, secret string) string {
	has := func(s string) bool { return strings.Contains(strings.ToLower(s), strings.ToLower(secret)) }
	unesc := func(s string) string {
		var u unescaped
		u.unescape(s)
		return string(u.low)
	}
	switch {
	case has(out):
		return "raw"
	case has(unesc(out)):
		return "JSON-escaped"
	}
	for _, run := range strings.FieldsFunc(out, func(r rune) bool { return r > 0x7f || !b64Char(byte(r)) }) {
		for off := range 4 {
			if len(run) <= off {
				break
			}
			p := run[off:]
			p = p[:len(p)/4*4]
			raw, err := base64.RawStdEncoding.DecodeString(p)
			if err != nil {
				continue
			}
			if has(string(raw)) || has(unesc(string(raw))) {
				return "base64 " + run
			}
		}
	}
	return ""
}
