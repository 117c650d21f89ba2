package authmech

import (
	"bytes"
	"strings"
)

// Parse is Wire read backwards: the user and secret one decoded SASL
// client response of mechanism name carries. PLAIN is
// authzid\0user\0password; XOAUTH2 is user=U\x01auth=Bearer T\x01\x01;
// OAUTHBEARER is a GS2 header (n,a=U,) then \x01-separated pairs, auth=
// among them. ok is false when resp is not in the mechanism's form or the
// mechanism carries no secret in one response (LOGIN's come one a
// response: user, then password). The fake reads its users from it, and
// internal/redact the secrets a proxy must mask.
func Parse(name string, resp []byte) (user, secret string, ok bool) {
	switch strings.ToUpper(name) {
	case "PLAIN":
		parts := bytes.SplitN(resp, []byte{0}, 3)
		if len(parts) != 3 {
			return "", "", false
		}
		return string(parts[1]), string(parts[2]), true
	case "XOAUTH2", "OAUTHBEARER":
		fields := bytes.Split(resp, []byte{0x01})
		if strings.EqualFold(name, "OAUTHBEARER") {
			gs2 := bytes.SplitN(fields[0], []byte{','}, 3)
			if len(gs2) == 3 && bytes.HasPrefix(gs2[1], []byte("a=")) {
				user = UnescapeAuthzid(string(gs2[1][2:]))
			}
			fields = fields[1:]
		}
		for _, field := range fields {
			k, v, found := strings.Cut(string(field), "=")
			switch {
			case !found:
			case k == "user" && strings.EqualFold(name, "XOAUTH2"):
				user = v
			case k == "auth" && len(v) > 7 && strings.EqualFold(v[:7], "bearer "):
				secret, ok = v[7:], true
			}
		}
		return user, secret, ok
	}
	return "", "", false
}

// UnescapeAuthzid undoes EscapeAuthzid.
func UnescapeAuthzid(s string) string {
	return strings.NewReplacer("=2C", ",", "=3D", "=").Replace(s)
}
