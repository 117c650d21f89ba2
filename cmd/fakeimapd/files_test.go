package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteFileFresh: the file written has exactly the mode asked for,
// whatever was there before, and a symlink at the path is replaced while
// its target stays untouched.
func TestWriteFileFresh(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(t *testing.T, path, victim string)
		perm  os.FileMode
	}{
		{"new file", func(*testing.T, string, string) {}, 0o600},
		{"existing 0644 file", func(t *testing.T, path, _ string) { writeMode(t, path, "old", 0o644) }, 0o600},
		{"existing 0666 file, CA mode", func(t *testing.T, path, _ string) { writeMode(t, path, "old", 0o666) }, 0o644},
		{"symlink to another file", func(t *testing.T, path, victim string) {
			writeMode(t, victim, "victim", 0o644)
			if err := os.Symlink(victim, path); err != nil {
				t.Fatal(err)
			}
		}, 0o600},
		{"dangling symlink", func(t *testing.T, path, victim string) {
			if err := os.Symlink(victim, path); err != nil {
				t.Fatal(err)
			}
		}, 0o600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path, victim := filepath.Join(dir, "creds.txt"), filepath.Join(dir, "victim.txt")
			tt.setup(t, path, victim)
			before, victimErr := os.ReadFile(victim)
			if err := writeFileFresh(path, []byte("alice:pw\n"), tt.perm); err != nil {
				t.Fatal(err)
			}
			st, err := os.Lstat(path)
			if err != nil {
				t.Fatal(err)
			}
			if !st.Mode().IsRegular() || st.Mode().Perm() != tt.perm {
				t.Fatalf("mode %v, want a regular file %v", st.Mode(), tt.perm)
			}
			if b, _ := os.ReadFile(path); string(b) != "alice:pw\n" {
				t.Fatalf("content %q", b)
			}
			after, err := os.ReadFile(victim)
			if string(after) != string(before) || (victimErr == nil) != (err == nil) {
				t.Fatalf("symlink target changed: %q (%v) -> %q (%v)", before, victimErr, after, err)
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if strings.Contains(e.Name(), ".tmp-") {
					t.Fatalf("temp file left: %s", e.Name())
				}
			}
		})
	}
}

func writeMode(t *testing.T, path, content string, perm os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil {
		t.Fatal(err)
	}
}

// TestCredentialsOutMode: the built binary's --credentials-out replaces a
// pre-existing 0644 file with a 0600 one holding the passwords.
func TestCredentialsOutMode(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out, victim := filepath.Join(dir, "creds"), filepath.Join(dir, "victim")
	writeMode(t, out, "stale\n", 0o644)
	writeMode(t, victim, "keep\n", 0o644)
	caOut := filepath.Join(dir, "ca.pem")
	if err := os.Symlink(victim, caOut); err != nil {
		t.Fatal(err)
	}
	startDaemon(t, []string{"FAKEIMAPD_USERS=alice:canary-c0de"}, "--mode", "plaintext", "--credentials-out", out, "--ca-out", caOut)
	st, err := os.Stat(out)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("--credentials-out mode %v %v, want 0600", st.Mode(), err)
	}
	if b, _ := os.ReadFile(out); string(b) != "alice:canary-c0de\n" {
		t.Fatalf("--credentials-out holds %q", b)
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep\n" {
		t.Fatalf("--ca-out followed the symlink: victim holds %q", b)
	}
	if st, err := os.Lstat(caOut); err != nil || !st.Mode().IsRegular() {
		t.Fatalf("--ca-out %v %v, want a regular file", st.Mode(), err)
	}
}
