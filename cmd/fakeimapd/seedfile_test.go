package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestSeedFlagServes: --seed serves the file's users and mail, and a
// --user (here from the environment) sets a seeded user's password.
func TestSeedFlagServes(t *testing.T) {
	t.Parallel()
	seed := filepath.Join("..", "..", "fakeserver", "testdata", "seed", "good.yaml")
	tests := []struct {
		name  string
		env   []string
		login string
	}{
		{"file password", nil, "alice canary-s33d-json"},
		{"--user overrides", []string{"FAKEIMAPD_USERS=alice:canary-s33d"}, "alice canary-s33d"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := startDaemon(t, tt.env, "--mode", "plaintext", "--allow-plaintext-auth", "--quiet", "--seed", seed)
			if want := []string{"alice", "bob"}; !slices.Equal(d.ready.Users, want) {
				t.Errorf("ready users %v, want %v", d.ready.Users, want)
			}
			r := imapLinesAs(t, d.ready.Addr, tt.login, `LIST "" "Projekte*"`, "SELECT INBOX", "FETCH 1 (FLAGS INTERNALDATE)")
			wantList := []string{`* LIST (\HasChildren) "/" "Projekte"`, `* LIST (\HasNoChildren \Drafts) "/" "Projekte/Entw&APw-rfe"`}
			if !slices.Equal(r[0][:len(r[0])-1], wantList) {
				t.Errorf("LIST:\n%q\nwant\n%q", r[0], wantList)
			}
			for _, want := range []string{"* 2 EXISTS", `* FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Junk MyKeyword)`} {
				if !slices.Contains(r[1], want) {
					t.Errorf("SELECT INBOX: %q, want %q", r[1], want)
				}
			}
			if want := `* 1 FETCH (UID 1 FLAGS (\Seen $Junk MyKeyword) INTERNALDATE "24-Dec-2025 18:30:00 +0100")`; r[2][0] != want {
				t.Errorf("FETCH: %q, want %q", r[2][0], want)
			}
			if out := d.stderr.String(); strings.Contains(out, "canary-s33d") || strings.Contains(out, "canary-t0ken") {
				t.Errorf("stderr shows a seeded secret: %s", out)
			}
		})
	}
}

// TestSeedFlagBadFile: a mistake in a seed file (JSON, YAML, mbox, or a
// directory that is no Maildir) is one line naming the file, the field
// or line, exit 2, and never the secret.
func TestSeedFlagBadFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	mkdir := func(name string) string {
		p := filepath.Join(dir, name)
		if err := os.Mkdir(p, 0o700); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct{ path, want string }{
		{write("bad.json", "{\"users\": [{\"name\": \"alice\",\n  \"password\": \"canary-s3cret\",\n  \"mailboxes\": [{\"name\": \"INBOX\", \"special_use\": [\"Outbox\"]}]}]}\n"),
			`: users[0].mailboxes[0].special_use[0] (line 3): "Outbox" is not a special-use attribute`},
		{write("bad.yaml", "users:\n  - name: alice\n    password: {v: canary-s3cret}\n"),
			`: users[0].password (line 3): want a string, got a mapping`},
		{filepath.Join(dir, "missing.json"), `: no such file or directory`},
		{write("bad.yml", "users: [\n"), `: line 1: YAML: did not find expected node content`},
		{write("empty.json", ""), `: line 1: JSON: unexpected end of file`},
		{write("notes.txt", "hello world\n"), `: line 1: want a mapping of users, got a scalar`},
		{write("x.mbox", "no From line\n"), `: line 1: not an mbox file: it must start with a "From " line`},
		{write("empty-message.mbox", "From \n"), `: line 1: the message after this "From " line is empty`},
		{mkdir("not-a-maildir"), `: a directory seed must be a Maildir, with a cur/ directory (or give a JSON, YAML or mbox file)`},
		{write("kw.mbox", "From a@b Mon Mar  2 09:15:00 2026\nX-Keywords: a(b\n\nx\n"), `: the message of line 1: X-Keywords:`},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.path), func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(fakeimapdBin.Path(t), "--seed", tt.path)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			exit, ok := err.(*exec.ExitError)
			if !ok || exit.ExitCode() != 2 {
				t.Fatalf("exit %v, want 2; stderr %s", err, stderr.String())
			}
			out := stderr.String()
			want := "fakeimapd: --seed: "
			if !strings.HasPrefix(tt.want, ": no such") {
				want += tt.path + tt.want
			}
			if strings.Count(out, "\n") != 1 || !strings.HasPrefix(out, want) || !strings.Contains(out, tt.want) || strings.Contains(out, "canary-s3cret") {
				t.Errorf("stderr %q, want one line starting %q", out, want)
			}
		})
	}
}

// TestSeedFlagSources: --seed takes a JSON file, a Maildir directory and
// an mbox file alike (the YAML one is TestSeedFlagServes's); Maildir and
// mbox mail goes to the first user, flags from the Maildir info and the
// mbox Status headers, and an mbox's escaped "From " lines unescaped.
func TestSeedFlagSources(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	md := filepath.Join(dir, "Maildir")
	for name, content := range map[string]string{
		"cur/1000.M1.h:2,FS":             "Subject: kept\n\nKept.\n",
		"new/1001.M2.h":                  "Subject: new\n\nNew.\n",
		".Archiv.2025/cur/900.M3.h:2,RS": "Subject: old\n\nOld.\n",
	} {
		p := filepath.Join(md, filepath.FromSlash(name))
		for _, sub := range []string{"cur", "new", "tmp"} {
			if err := os.MkdirAll(filepath.Join(filepath.Dir(filepath.Dir(p)), sub), 0o700); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	testdata := filepath.Join("..", "..", "fakeserver", "testdata", "seed")
	tests := []struct {
		name     string
		seed     string
		commands []string
		want     [][]string // lines each command's reply must hold
	}{
		{"json", filepath.Join(testdata, "good.json"),
			[]string{`LIST "" "Projekte*"`, "SELECT INBOX", "FETCH 1 (FLAGS INTERNALDATE)"},
			[][]string{{`* LIST (\HasChildren) "/" "Projekte"`, `* LIST (\HasNoChildren \Drafts) "/" "Projekte/Entw&APw-rfe"`},
				{"* 2 EXISTS", `* FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Junk MyKeyword)`},
				{`* 1 FETCH (UID 1 FLAGS (\Seen $Junk MyKeyword) INTERNALDATE "24-Dec-2025 18:30:00 +0100")`}}},
		{"maildir", md,
			[]string{`LIST "" "*"`, "SELECT INBOX", "FETCH 1:* (FLAGS)", "STATUS Archiv/2025 (MESSAGES)"},
			[][]string{{`* LIST (\HasNoChildren) "/" INBOX`, `* LIST (\Noselect \HasChildren) "/" "Archiv"`, `* LIST (\HasNoChildren) "/" "Archiv/2025"`},
				{"* 2 EXISTS"},
				{`* 1 FETCH (UID 1 FLAGS (\Flagged \Seen))`, `* 2 FETCH (UID 2 FLAGS ())`},
				{`* STATUS "Archiv/2025" (MESSAGES 1)`}}},
		{"mbox", filepath.Join(testdata, "archive.mbox"),
			[]string{`LIST "" "archive"`, "SELECT archive", "FETCH 1 (BODY[TEXT])"},
			[][]string{{`* LIST (\HasNoChildren) "/" "archive"`},
				{"* 2 EXISTS"},
				{"From here on, an escaped line (mboxo and mboxrd).", ">From this one is mboxrd's double escape."}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := startDaemon(t, []string{"FAKEIMAPD_USERS=alice:canary-s33d"},
				"--mode", "plaintext", "--allow-plaintext-auth", "--quiet", "--seed", tt.seed)
			replies := imapLines(t, d.ready.Addr, tt.commands...)
			for i, want := range tt.want {
				for _, w := range want {
					if !slices.Contains(replies[i], w) {
						t.Errorf("%s: %q lacks %q", tt.commands[i], replies[i], w)
					}
				}
				if last := replies[i][len(replies[i])-1]; !strings.Contains(last, " OK ") {
					t.Errorf("%s: %q", tt.commands[i], last)
				}
			}
		})
	}
}
