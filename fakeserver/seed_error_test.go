package fakeserver_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/internal/testkit"
)

// seedSecret is in every bad seed below; no error may show it.
const seedSecret = "canary-n3ver-sh0wn"

// TestParseSeedErrors: each mistake is one line with the file, the
// field's path and line, and what is wrong, and never the secret.
func TestParseSeedErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, file, data, want string
	}{
		{"json unknown field", "a.json",
			`{"users": [{"name": "alice", "password": "` + seedSecret + `", "mailbox": []}]}`,
			`a.json: users[0].mailbox (line 1): unknown field "mailbox" (want name, password, tokens, mailboxes)`},
		{"json password not a string", "a.json",
			"{\"users\": [{\"name\": \"alice\",\n \"password\": 12345}]}",
			`a.json: users[0].password (line 2): want a quoted string`},
		{"json password a mapping", "a.json",
			`{"users": [{"password": {"v": "` + seedSecret + `"}}]}`,
			`a.json: users[0].password (line 1): want a string, got a mapping`},
		{"json syntax", "a.json",
			"{\"users\": [\n{\"name\": \"alice\" \"password\": \"" + seedSecret + "\"}]}",
			`a.json: line 2: JSON: invalid character '"' after object key:value pair`},
		{"json truncated", "a.json", `{"users": [{"name": "al`, `a.json: line 1: JSON: unexpected end of file`},
		{"json duplicate key", "a.json", `{"users": [], "users": []}`, `a.json: line 1: key "users" appears twice`},
		{"json bad flag", "a.json",
			"{\"users\": [{\"name\": \"alice\", \"mailboxes\": [\n{\"name\": \"INBOX\", \"messages\": [\n{\"raw\": \"x\", \"flags\": [\"\\\\Sen\"]}]}]}]}",
			`a.json: users[0].mailboxes[0].messages[0].flags[0] (line 3): "\\Sen" is not a system flag (\Answered, \Flagged, \Deleted, \Seen, \Draft)`},
		{"json recent", "a.json",
			`{"users": [{"mailboxes": [{"name": "INBOX", "messages": [{"raw": "x", "flags": ["\\Recent"]}]}]}]}`,
			`a.json: users[0].mailboxes[0].messages[0].flags[0] (line 1): "\\Recent" is not a system flag (\Answered, \Flagged, \Deleted, \Seen, \Draft)`},
		{"json bad keyword", "a.json",
			`{"users": [{"mailboxes": [{"name": "INBOX", "messages": [{"raw": "x", "flags": ["two words"]}]}]}]}`,
			`a.json: users[0].mailboxes[0].messages[0].flags[0] (line 1): keyword "two words" has a character an IMAP atom cannot hold`},
		{"json no raw", "a.json",
			`{"users": [{"mailboxes": [{"name": "INBOX", "messages": [{"flags": []}]}]}]}`,
			`a.json: users[0].mailboxes[0].messages[0].raw (line 1): a message needs raw, its RFC 5322 text`},
		{"json bad date", "a.json",
			`{"users": [{"mailboxes": [{"name": "INBOX", "messages": [{"raw": "x", "internal_date": "yesterday"}]}]}]}`,
			`a.json: users[0].mailboxes[0].messages[0].internal_date (line 1): "yesterday" is not a date: want RFC 3339 (2026-03-02T09:15:00Z) or IMAP's 02-Mar-2026 09:15:00 +0000`},
		{"json twice", "a.json",
			`{"users": [{"mailboxes": [{"name": "A", "mailboxes": [{"name": "B"}]}, {"name": "A/B"}]}]}`,
			`a.json: users[0].mailboxes[1].name (line 1): mailbox "A/B" is seeded twice`},
		{"json special use", "a.json",
			`{"users": [{"mailboxes": [{"name": "Box", "special_use": ["\\Outbox"]}]}]}`,
			`a.json: users[0].mailboxes[0].special_use[0] (line 1): "\\Outbox" is not a special-use attribute (\All, \Archive, \Drafts, \Flagged, \Important, \Junk, \Sent, \Trash)`},
		{"json nameless with secret", "a.json",
			`{"users": [{"password": "` + seedSecret + `"}]}`,
			`a.json: users[0] (line 1): a user without a name is the server's first user and cannot set a password or tokens; give its name`},
		{"json token with space", "a.json",
			`{"users": [{"name": "a", "tokens": ["` + seedSecret + ` x"]}]}`,
			`a.json: users[0].tokens[0] (line 1): empty or contains white space or a control character`},
		{"yaml unknown field", "b.yaml",
			"users:\n  - name: alice\n    password: " + seedSecret + "\n    mailboxes:\n      - name: INBOX\n        mesages: []\n",
			`b.yaml: users[0].mailboxes[0].mesages (line 6): unknown field "mesages" (want name, special_use, subscribed, messages, mailboxes)`},
		{"yaml password int", "b.yaml", "users:\n  - name: alice\n    password: 12345\n",
			`b.yaml: users[0].password (line 3): want a quoted string`},
		{"yaml name int", "b.yaml", "users:\n  - name: 42\n", `b.yaml: users[0].name (line 2): want a string, got 42: quote it`},
		{"yaml subscribed", "b.yaml", "users:\n  - mailboxes:\n      - name: X\n        subscribed: yes\n",
			`b.yaml: users[0].mailboxes[0].subscribed (line 4): want true or false`},
		// yaml.v3 gives a parse error the line of the construct it was
		// in (0-based: the "[" of line 2), a scan error its own line.
		{"yaml syntax", "b.yml", "users:\n  - name: [alice\n    password: " + seedSecret + "\n",
			`b.yml: line 1: YAML: did not find expected ',' or ']'`},
		{"yaml tab", "b.yaml", "users:\n\t- name: a\n", `b.yaml: line 2: YAML: found character that cannot start any token`},
		{"yaml alias", "b.yaml", "users:\n  - &u {name: a}\n  - *u\n",
			`b.yaml: line 3: YAML anchors and aliases are not supported in a seed`},
		{"yaml users not a list", "b.yaml", "users: alice\n", `b.yaml: users (line 1): want a list, got a scalar`},
		{"yaml top not a mapping", "b.yaml", "- alice\n", `b.yaml: line 1: want a mapping of users, got a list`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := fakeserver.ParseSeed(tc.file, []byte(tc.data))
			if err == nil {
				t.Fatalf("no error, want %s", tc.want)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("error:\n%s\nwant:\n%s", got, tc.want)
			}
			if strings.Contains(err.Error(), seedSecret) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error shows the secret or spans lines: %q", err)
			}
			var se *fakeserver.SeedError
			if !errors.As(err, &se) || se.File != tc.file {
				t.Errorf("error %T is not a *SeedError of %s", err, tc.file)
			}
		})
	}
}

// TestSeedErrorsGo: a Seed built in Go is checked at Start, with the
// field's path.
func TestSeedErrorsGo(t *testing.T) {
	t.Parallel()
	seed := &fakeserver.Seed{Users: []fakeserver.SeedUser{{Name: "a", Mailboxes: []fakeserver.SeedMailbox{
		{Name: "X", Mailboxes: []fakeserver.SeedMailbox{{Name: "Y", Messages: []fakeserver.SeedMessage{{Raw: []byte("x"), Flags: []imap.Flag{`\Bogus`}}}}}},
	}}}}
	_, err := fakeserver.Start(fakeserver.WithSeed(seed))
	want := `WithSeed: users[0].mailboxes[0].mailboxes[0].messages[0].flags[0]: "\\Bogus" is not a system flag (\Answered, \Flagged, \Deleted, \Seen, \Draft)`
	if err == nil || err.Error() != want {
		t.Errorf("Start: %v, want %s", err, want)
	}
}

// TestSeedSecretHidden: fmt and encoding/json print a Seed's secrets as
// <hidden>.
func TestSeedSecretHidden(t *testing.T) {
	t.Parallel()
	u := fakeserver.SeedUser{Name: "a", Password: seedSecret, Tokens: []fakeserver.Secret{seedSecret}}
	for _, s := range []string{fmt.Sprint(u), fmt.Sprintf("%+v", u), fmt.Sprintf("%#v", u), fmt.Sprintf("%q", u.Password), jsonString(t, u)} {
		if strings.Contains(s, seedSecret) || !strings.Contains(s, "hidden") {
			t.Errorf("printed as %s", s)
		}
	}
}

// TestLoadSeedErrors: Maildir and mbox mistakes name the file.
func TestLoadSeedErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	md := writeMaildir(t, map[string]string{"cur/1.M1.h:2,SX": "Subject: x\n\nx\n"})
	mdKw := writeMaildir(t, map[string]string{"cur/1.M1.h:2,Sc": "Subject: x\n\nx\n", "dovecot-keywords": "0 $Junk\n"})
	empty := filepath.Join(dir, "empty.mbox")
	if err := os.WriteFile(empty, []byte("From a Mon Mar  2 09:15:00 2026\n\nFrom b\nx\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	notMbox := filepath.Join(dir, "notes.mbox")
	if err := os.WriteFile(notMbox, []byte("\nFrom a Mon Mar  2 09:15:00 2026\nx\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{notMbox, notMbox + ": line 1: not an mbox file: it must start with a \"From \" line"},
		{md, md + "/cur/1.M1.h:2,SX: info \"2,SX\": unknown flag letter 'X'"},
		{mdKw, mdKw + "/cur/1.M1.h:2,Sc: keyword letter 'c': dovecot-keywords has no keyword 2"},
		{empty, empty + ": line 1: the message after this \"From \" line is empty"},
	} {
		_, err := fakeserver.LoadSeed(tc.path)
		if err == nil || err.Error() != tc.want {
			t.Errorf("LoadSeed(%s) = %v\nwant %s", filepath.Base(tc.path), err, tc.want)
		}
	}
}

// TestSeedSecretsNotLogged: a seeded password and token are masked in the
// logged transcript and the connection records, like WithUser's; and a
// change to the caller's Seed after Start does not reach fresh copies.
func TestSeedSecretsNotLogged(t *testing.T) {
	t.Parallel()
	const token = "canary-t0ken-n3ver"
	seed := &fakeserver.Seed{Users: []fakeserver.SeedUser{{Name: "alice", Password: seedSecret, Tokens: []fakeserver.Secret{token},
		Mailboxes: []fakeserver.SeedMailbox{{Name: "INBOX", Messages: []fakeserver.SeedMessage{{Raw: []byte("Subject: a\r\n\r\nb\r\n")}}}}}}}
	var logs testkit.Buffer
	srv := fakeserver.New(t, fakeserver.WithSeed(seed), fakeserver.WithFreshState(fakeserver.PerConnection),
		fakeserver.WithLogger(newTextLogger(&logs)), fakeserver.WithLogTranscripts())
	seed.Users[0].Mailboxes[0].Messages[0].Raw[0] = 'X'
	seed.Users[0].Mailboxes[0].Messages = nil
	c := dial(t, srv)
	if err := c.Login("alice", seedSecret).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	body := &imap.FetchItemBodySection{Peek: true}
	msgs, err := c.Fetch(imap.SeqSetNum(1), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{body}}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	if got := string(msgs[0].FindBodySection(body)); got != "Subject: a\r\n\r\nb\r\n" {
		t.Errorf("INBOX 1 = %q, want the seed as it was at Start", got)
	}
	_ = c.Logout().Wait()
	c.Close()
	recs := waitEnded(t, srv, 1)
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(logs.String(), "msg=connection") && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	for _, out := range []string{logs.String(), jsonString(t, recs)} {
		if strings.Contains(out, seedSecret) || strings.Contains(out, token) || !strings.Contains(out, "LOGIN") {
			t.Errorf("a secret shows, or LOGIN is not there: %s", out)
		}
	}
}
