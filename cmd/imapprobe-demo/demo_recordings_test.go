package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDemoRecordings: --recordings adds a directory's recordings to the
// matrix, each run as a replay; a bad directory or file is one line. The
// catalog's own recordings are in the matrix without it.
func TestDemoRecordings(t *testing.T) {
	t.Parallel()
	kept, err := os.ReadFile("../../scenarios/recordings/gmail-app-password.rec")
	if err != nil {
		t.Fatal(err)
	}
	recordingsDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(recordingsDir, "my-gmail.rec"), kept, 0o644); err != nil {
		t.Fatal(err)
	}
	r := invoke([]string{"--recordings", recordingsDir, "--scenario", "my-gmail"}, nil)
	if r.code != 0 || !strings.Contains(r.stdout, "my-gmail") || !strings.Contains(r.stdout, "auth.failed") {
		t.Errorf("exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	if want := "imapprobe demo: 1 scenarios, each a replay of a recorded session\n"; !strings.HasPrefix(r.stdout, want) {
		t.Errorf("heading: %q, want %q", strings.SplitN(r.stdout, "\n", 2)[0], want)
	}
	r = invoke([]string{"--recordings", recordingsDir, "--scenario", "my-gmail", "--scenario", "healthy-starttls"}, nil)
	if want := "imapprobe demo: 2 scenarios against the embedded fake IMAP server, 1 of them replays of recorded sessions\n"; r.code != 0 || !strings.HasPrefix(r.stdout, want) {
		t.Errorf("exit %d, heading %q, want %q", r.code, strings.SplitN(r.stdout, "\n", 2)[0], want)
	}
	r = invoke([]string{"--scenario", "healthy-starttls"}, nil)
	if want := "imapprobe demo: 1 scenarios against the embedded fake IMAP server\n"; !strings.HasPrefix(r.stdout, want) {
		t.Errorf("heading %q, want %q", strings.SplitN(r.stdout, "\n", 2)[0], want)
	}
	r = invoke([]string{"--recordings", recordingsDir, "--list"}, nil)
	if !strings.Contains(r.stdout, "my-gmail") || !strings.Contains(r.stdout, "a replay of my-gmail.rec") {
		t.Errorf("--list lacks the recording:\n%s", r.stdout)
	}
	r = invoke([]string{"--list"}, nil)
	for _, name := range []string{"gmail-app-password", "dovecot-wrong-password", "dovecot-acl-denied", "dovecot-fetch-cut"} {
		if !strings.Contains(r.stdout, name+" ") {
			t.Errorf("the catalog lacks the recording %s:\n%s", name, r.stdout)
		}
	}

	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "x.rec"), []byte("# imapprobe recording v1\ntls none\nend soon\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	clash := t.TempDir()
	if err := os.WriteFile(filepath.Join(clash, "gmail-app-password.rec"), kept, 0o644); err != nil {
		t.Fatal(err)
	}
	for dir, want := range map[string]string{
		bad:         "imapprobe demo: --recordings: " + filepath.Join(bad, "x.rec") + `: recording line 3: end "soon": want server, reset or client` + "\n",
		t.TempDir(): "imapprobe demo: --recordings: no *.rec file in ",
		clash:       "imapprobe demo: --recordings: gmail-app-password.rec is named like the catalog's scenario gmail-app-password: rename the file\n",
	} {
		r := invoke([]string{"--recordings", dir}, nil)
		if r.code != 2 || !strings.HasPrefix(r.stderr, want) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("exit %d, stderr %q, want %q", r.code, r.stderr, want)
		}
	}
}
