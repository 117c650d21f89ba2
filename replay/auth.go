package replay

import (
	"encoding/base64"
	"strings"
)

// loginUser returns the user a LOGIN or an AUTHENTICATE with an initial
// response names (PLAIN, XOAUTH2, OAUTHBEARER); ok is false when the
// command names none this can read. The password is never kept.
func loginUser(name, args string) (string, bool) {
	switch name {
	case "LOGIN":
		u, _, _ := strings.Cut(args, " ")
		return unquote(u), true
	case "AUTHENTICATE":
		mech, ir, ok := strings.Cut(args, " ")
		if !ok {
			return "", false
		}
		raw, err := base64.StdEncoding.DecodeString(ir)
		if err != nil {
			return "", false
		}
		msg := string(raw)
		switch strings.ToUpper(mech) {
		case "PLAIN":
			parts := strings.Split(msg, "\x00")
			if len(parts) == 3 {
				return parts[1], true
			}
		case "XOAUTH2":
			if u, ok := strings.CutPrefix(msg, "user="); ok {
				u, _, _ = strings.Cut(u, "\x01")
				return u, true
			}
		case "OAUTHBEARER":
			gs2, _, _ := strings.Cut(msg, "\x01")
			for _, f := range strings.Split(gs2, ",") {
				if u, ok := strings.CutPrefix(f, "a="); ok {
					return u, true
				}
			}
		}
	}
	return "", false
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = strings.NewReplacer(`\"`, `"`, `\\`, `\`).Replace(s[1 : len(s)-1])
	}
	return s
}
