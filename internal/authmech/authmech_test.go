package authmech

import (
	"slices"
	"testing"
)

func TestTable(t *testing.T) {
	t.Parallel()
	if got, want := Names(), []string{"oauthbearer", "xoauth2", "plain", "login"}; !slices.Equal(got, want) {
		t.Errorf("Names() = %q, want %q", got, want)
	}
	cases := []struct{ mech, user, secret, initial string }{
		{"PLAIN", "alice", "pw", "\x00alice\x00pw"},
		{"XOAUTH2", "alice", "tok", "user=alice\x01auth=Bearer tok\x01\x01"},
		{"OAUTHBEARER", "a,b=c", "tok", "n,a=a=2Cb=3Dc,\x01auth=Bearer tok\x01\x01"},
		{"LOGIN", "alice", "pw", ""},
	}
	for _, c := range cases {
		m, ok := Lookup(c.mech)
		if !ok {
			t.Fatalf("Lookup(%q) failed", c.mech)
		}
		if got := string(m.Initial(c.user, c.secret)); got != c.initial {
			t.Errorf("%s initial %q, want %q", c.mech, got, c.initial)
		}
		if m.SASL != (m.Wire != nil) {
			t.Errorf("%s: SASL %v but Wire set %v", c.mech, m.SASL, m.Wire != nil)
		}
	}
	if _, ok := Lookup("cram-md5"); ok {
		t.Error("Lookup(cram-md5) succeeded")
	}
}
