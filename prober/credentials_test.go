package prober

import "testing"

// TestCredentialsMissing: each mechanism asks for the credential the
// authmech table gives it, whatever the case of --auth.
func TestCredentialsMissing(t *testing.T) {
	t.Parallel()
	cases := []struct {
		user, auth, password, token string
		want                        string
	}{
		{"u", "", "", "", "no password or token was given"},
		{"", "", "pw", "", "no user name was given"},
		{"u", "", "pw", "", ""},
		{"u", "", "", "tok", ""},
		{"u", "plain", "", "tok", "--auth plain needs a password, and none was given"},
		{"u", "login", "", "tok", "--auth login needs a password, and none was given"},
		{"u", "PLAIN", "", "tok", "--auth PLAIN needs a password, and none was given"},
		{"u", "xoauth2", "pw", "", "--auth xoauth2 needs a token, and none was given"},
		{"u", "OAUTHBEARER", "pw", "", "--auth OAUTHBEARER needs a token, and none was given"},
		{"u", "oauthbearer", "", "tok", ""},
		{"u", "plain", "pw", "tok", ""},
		{"u", "nosuch", "pw", "", ""}, // chooseMech names the unknown mechanism
	}
	for _, tc := range cases {
		p := &probe{t: Target{User: tc.user}, o: Options{Auth: tc.auth, Password: tc.password, Token: tc.token}}
		if got := p.credentialsMissing(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc, got, tc.want)
		}
	}
}
