package integration

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/imapprobe/imapprobe/internal/testkit"
)

// servePage builds imapprobe and imapprobe-exporter and runs
// `imapprobe serve --ui-listen 127.0.0.1:0 ARGS`, the command a user runs, so
// that the browser test reaches the page through the shipped binaries. It
// returns the page's URL and the server's log (stdout and stderr) so far;
// t's cleanup stops the server with SIGTERM.
func servePage(t *testing.T, args ...string) (pageURL string, serverLog func() string) {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the browser test builds imapprobe: %v", err)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute) // a cold build on 2 loaded cores
	defer cancel()
	build := exec.CommandContext(ctx, gobin, "build", "-o", dir+string(filepath.Separator), "./cmd/imapprobe", "./cmd/imapprobe-exporter")
	build.Dir = ".." // the module's root
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// The page needs no module; serve needs a configuration to start.
	cfg := filepath.Join(dir, "imapprobe.yml")
	if err := os.WriteFile(cfg, []byte("modules:\n  default:\n    tls: implicit\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	logs := &testkit.Buffer{}
	cmd := exec.Command(filepath.Join(dir, "imapprobe"), append([]string{"serve", "--config", cfg, "--listen", "127.0.0.1:0", "--ui-listen", "127.0.0.1:0"}, args...)...)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	ready := regexp.MustCompile(`msg="live probe page" url=(http://127\.0\.0\.1:\d+)/ui`)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := ready.FindStringSubmatch(logs.String()); m != nil {
			return m[1], logs.String
		}
		select {
		case err := <-done:
			t.Fatalf("imapprobe serve exited (%v):\n%s", err, logs.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("imapprobe serve did not log the page's URL within 30 s:\n%s", logs.String())
		}
	}
}
