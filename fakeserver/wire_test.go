package fakeserver

import "testing"

// TestLoginUser: the user is taken only from a first argument that is an
// atom or quoted string followed by a second argument.
func TestLoginUser(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args, user string
		literal    bool
	}{
		{"alice pw", "alice", false},
		{`"al ice" "pw"`, "al ice", false},
		{`"a\"b" pw`, `a"b`, false},
		{"alice {5}", "alice", false},
		{"alice", "", false},
		{`"alice"`, "", false},
		{"alice ", "", false},
		{"alice  pw", "", false},
		{"alice\tpw x", "", false},
		{"\talice pw", "", false},
		{" alice pw", "", false},
		{`"unterminated pw`, "", false},
		{"{5}", "", true},
	}
	for _, tt := range tests {
		user, literal := loginUser(tt.args)
		if user != tt.user || literal != tt.literal {
			t.Errorf("loginUser(%q) = %q, %v; want %q, %v", tt.args, user, literal, tt.user, tt.literal)
		}
	}
}

func TestValidTag(t *testing.T) {
	t.Parallel()
	for tag, want := range map[string]bool{
		"a": true, "A001": true, "x]": true, "": false, "a+b": false, "a*": false,
		"a\tb": false, "{5}": false, "0123456789012345678901234567890123": false,
	} {
		if got := validTag(tag); got != want {
			t.Errorf("validTag(%q) = %v, want %v", tag, got, want)
		}
	}
}
