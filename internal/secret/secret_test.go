package secret

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		name, content string
		read          func(string) (string, error)
		want          string
		err           error
	}{
		{"password", "pw\r\nsecond line\n", PasswordFile, "pw", nil},
		{"password empty", "\nx\n", PasswordFile, "", ErrEmpty},
		{"password long", strings.Repeat("x", Max+1), PasswordFile, "", ErrTooLong},
		{"password at max", strings.Repeat("x", Max), PasswordFile, strings.Repeat("x", Max), nil},
		{"token", "  tok\n\n", TokenFile, "tok", nil},
		{"token empty", " \n", TokenFile, "", ErrEmpty},
		{"token long", strings.Repeat("x", Max+1), TokenFile, "", ErrTooLong},
	}
	for _, c := range cases {
		got, err := c.read(file(strings.ReplaceAll(c.name, " ", "_"), c.content))
		if got != c.want || !errors.Is(err, c.err) {
			t.Errorf("%s: %.20q, %v; want %.20q, %v", c.name, got, err, c.want, c.err)
		}
	}
	if _, err := PasswordFile(filepath.Join(dir, "none")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestCommand(t *testing.T) {
	t.Parallel()
	cases := []struct {
		cmd, want, stderr string
		err               error
	}{
		{"echo ' tok '; echo said >&2", "tok", "said\n", nil},
		{"true", "", "", ErrNoOutput},
		{"yes", "", "", ErrOutputTooLong},
		{"sleep 30", "", "", ErrTimeout},
	}
	for _, c := range cases {
		began := time.Now()
		got, out, err := Command(context.Background(), c.cmd, time.Second)
		if got != c.want || !errors.Is(err, c.err) || string(out.Stderr.Buf) != c.stderr {
			t.Errorf("%s: %q, %v, stderr %q; want %q, %v, %q", c.cmd, got, err, out.Stderr.Buf, c.want, c.err, c.stderr)
		}
		if took := time.Since(began); took > 5*time.Second {
			t.Errorf("%s took %s", c.cmd, took)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := Command(ctx, "sleep 30", time.Minute); !errors.Is(err, ErrInterrupted) {
		t.Errorf("cancelled: %v", err)
	}
	var exit interface{ ExitCode() int }
	if _, _, err := Command(context.Background(), "exit 3", time.Second); !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Errorf("exit 3: %v", err)
	}
}
