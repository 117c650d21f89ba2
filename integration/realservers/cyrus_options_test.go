package realservers

import (
	"strings"
	"testing"
)

// TestCyrusOptionsCheck: options that cannot hold are refused before
// anything starts, each with what is wrong.
func TestCyrusOptionsCheck(t *testing.T) {
	t.Parallel()
	noMail := User{Name: "bare", Password: "bare-pw-1"}
	withMail := User{Name: "full", Password: "full-pw-1", Mailboxes: []Mailbox{{Name: "INBOX", Messages: 1}}}
	tests := []struct {
		name    string
		cfg     Config
		opts    CyrusOptions
		wantErr string // "" for none
	}{
		{"zero", Config{}, CyrusOptions{}, ""},
		{"all at once", Config{Users: []User{noMail, withMail}},
			CyrusOptions{NoInbox: []string{"bare"}, Deny: map[string]string{"full": "go away"}, Shutdown: "down"}, ""},
		{"no TLS, no users", Config{Users: []User{}}, CyrusOptions{NoTLS: true}, ""},
		{"no TLS, default users", Config{}, CyrusOptions{NoTLS: true}, "Config.Users must be empty (not nil), not 2 users"},
		{"no INBOX for a stranger", Config{}, CyrusOptions{NoInbox: []string{"bob"}}, `NoInbox names "bob"`},
		{"no INBOX but mailboxes", Config{Users: []User{withMail}}, CyrusOptions{NoInbox: []string{"full"}}, `user "full" must have no mailboxes`},
		{"deny a stranger", Config{}, CyrusOptions{Deny: map[string]string{"bob": "x"}}, `Deny names "bob"`},
		{"deny with two lines", Config{}, CyrusOptions{Deny: map[string]string{DefaultUser: "a\nb"}}, "one non-empty line"},
		{"deny with no message", Config{}, CyrusOptions{Deny: map[string]string{DefaultUser: ""}}, "one non-empty line"},
		{"shutdown with two lines", Config{}, CyrusOptions{Shutdown: "a\r\nb"}, "Shutdown must be one line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.opts.check(tt.cfg)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("check: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("check = %v; want an error with %q", err, tt.wantErr)
			}
		})
	}
}
