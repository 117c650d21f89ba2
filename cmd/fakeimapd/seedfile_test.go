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

// TestSeedFlagBadFile: a mistake in a seed file is one line naming the
// file, the field and its line, exit 2, and never the secret.
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
	tests := []struct{ path, want string }{
		{write("bad.json", "{\"users\": [{\"name\": \"alice\",\n  \"password\": \"canary-s3cret\",\n  \"mailboxes\": [{\"name\": \"INBOX\", \"special_use\": [\"Outbox\"]}]}]}\n"),
			`: users[0].mailboxes[0].special_use[0] (line 3): "Outbox" is not a special-use attribute`},
		{write("bad.yaml", "users:\n  - name: alice\n    password: {v: canary-s3cret}\n"),
			`: users[0].password (line 3): want a string, got a mapping`},
		{filepath.Join(dir, "missing.json"), `: no such file or directory`},
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
