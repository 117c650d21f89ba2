package realservers

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		users []User
		bad   string // substring of the error; "" means valid
	}{
		{"default users", nil, ""},
		{"colon in password", []User{{Name: "u", Password: "a:b"}}, "password"},
		{"space in name", []User{{Name: "a b", Password: "p"}}, "name"},
		{"newline in token", []User{{Name: "u", Password: "p", Token: "t\n"}}, "token"},
		{"slash in mailbox", []User{{Name: "u", Password: "p", Mailboxes: []Mailbox{{Name: "a/b"}}}}, "mailbox"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := Config{Users: tc.users}.validate()
			if tc.bad == "" && err != nil || tc.bad != "" && (err == nil || !strings.Contains(err.Error(), tc.bad)) {
				t.Errorf("validate() = %v; want an error about %q", err, tc.bad)
			}
		})
	}
}

// TestWriteTree checks the generated files Dovecot depends on.
func TestWriteTree(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	l := layout{Dir: dir, Name: "x", Port: 1143, TLSPort: 1993, LogPath: "/dev/stderr",
		IntrospectURL: "http://127.0.0.1:9/introspect", LoginUser: "me", InternalUser: "me", MailUser: "me", MailGroup: "me"}
	cfg := Config{Users: []User{
		{Name: "ann", Password: "pw1", Mailboxes: []Mailbox{{Name: "INBOX", Messages: 2}, {Name: "Locked", Messages: 1, Denied: true}}},
		{Name: "bob", Password: "pw2", HoldAfterLogin: true},
	}}
	if err := writeTree(l, cfg, []byte("CERT"), []byte("KEY")); err != nil {
		t.Fatal(err)
	}
	read := func(rel string) string {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	count := func(rel string) int {
		t.Helper()
		entries, err := os.ReadDir(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		return len(entries)
	}
	if got, want := read("passwd"), "ann:{PLAIN}pw1::::::\nbob:{PLAIN}pw2::::::\n"; got != want {
		t.Errorf("passwd = %q; want %q", got, want)
	}
	if got := read("mail/ann/.Locked/dovecot-acl"); got != "owner l\n" {
		t.Errorf("ACL = %q; want %q", got, "owner l\n")
	}
	if _, err := os.Stat(filepath.Join(dir, "mail/ann/dovecot-acl")); !os.IsNotExist(err) {
		t.Errorf("INBOX has an ACL file (%v); only the denied mailbox should", err)
	}
	for rel, want := range map[string]int{"mail/ann/new": 2, "mail/ann/.Locked/new": 1, "mail/bob/new": 0} {
		if got := count(rel); got != want {
			t.Errorf("%s holds %d messages; want %d", rel, got, want)
		}
	}
	if got := read("postlogin.sh"); !strings.Contains(got, `case " bob " in`) {
		t.Errorf("postlogin.sh does not hold bob:\n%s", got)
	}
	conf := read("dovecot.conf")
	for _, want := range []string{"port = 1143", "port = 1993", "args = " + dir + "/oauth2.conf", "executable = imap imapprobe-postlogin", "chroot =\n"} {
		if !strings.Contains(conf, want) {
			t.Errorf("dovecot.conf lacks %q:\n%s", want, conf)
		}
	}
	if got := read("oauth2.conf"); !strings.Contains(got, "introspection_url = http://127.0.0.1:9/introspect\n") {
		t.Errorf("oauth2.conf = %q", got)
	}
}

func TestIntrospection(t *testing.T) {
	t.Parallel()
	srv := newIntrospection([]User{{Name: "ann", Token: "good"}, {Name: "bob"}})
	defer srv.Close()
	for _, tc := range []struct {
		token string
		want  map[string]any
	}{
		{"good", map[string]any{"active": true, "username": "ann"}},
		{"bad", map[string]any{"active": false}},
		{"", map[string]any{"active": false}},
	} {
		resp, err := http.PostForm(srv.URL+"/introspect", url.Values{"token": {tc.token}})
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		err = json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		if err != nil || len(got) != len(tc.want) || got["active"] != tc.want["active"] || got["username"] != tc.want["username"] {
			t.Errorf("token %q: %v, %v; want %v", tc.token, got, err, tc.want)
		}
	}
	if newIntrospection([]User{{Name: "bob"}}) != nil {
		t.Error("an introspection server without tokens")
	}
}
