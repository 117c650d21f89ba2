package authmech

import "testing"

// TestParseInvertsWire: every wire form of every SASL mechanism parses
// back to its user and secret, and malformed responses do not parse.
func TestParseInvertsWire(t *testing.T) {
	t.Parallel()
	for _, m := range All {
		if m.Wire == nil {
			if _, _, ok := Parse(m.Name, []byte("alice")); ok {
				t.Errorf("%s parsed a response", m.Name)
			}
			continue
		}
		// "=" but no ",": the unescaped OAUTHBEARER form parses too
		for i, w := range m.Wire("al=ice", "s3cret tok") {
			user, secret, ok := Parse(m.Name, w)
			wantUser := "al=ice"
			if m.Name == "OAUTHBEARER" && i == 2 {
				wantUser = "" // "n,," names no user
			}
			if !ok || secret != "s3cret tok" || user != wantUser {
				t.Errorf("%s form %d %q: Parse = %q, %q, %v", m.Name, i, w, user, secret, ok)
			}
		}
	}
	if u, _, _ := Parse("OAUTHBEARER", []byte("n,a=a=2Cb=3Dc,\x01auth=Bearer t\x01\x01")); u != "a,b=c" {
		t.Errorf("escaped authzid parsed as %q", u)
	}
	for _, tc := range []struct{ mech, resp string }{
		{"PLAIN", "alice\x00pw"},
		{"PLAIN", ""},
		{"XOAUTH2", "user=alice\x01\x01"},
		{"XOAUTH2", "user=alice\x01auth=Basic x\x01\x01"},
		{"OAUTHBEARER", "n,a=alice,\x01host=x\x01\x01"},
		{"OAUTHBEARER", ""},
		{"CRAM-MD5", "alice 0123"},
	} {
		if u, s, ok := Parse(tc.mech, []byte(tc.resp)); ok {
			t.Errorf("Parse(%s, %q) = %q, %q, true; want false", tc.mech, tc.resp, u, s)
		}
	}
}
