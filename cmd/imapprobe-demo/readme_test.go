package main

import (
	"os"
	"strings"
	"testing"
)

// TestREADMEDemoExamples runs each `go run ./cmd/imapprobe-demo ARGS`
// example of README.md: it must exit 0 and show its scenario matching.
func TestREADMEDemoExamples(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const prefix = "    go run ./cmd/imapprobe-demo "
	n := 0
	for _, line := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		n++
		args := strings.Fields(strings.TrimPrefix(line, prefix))
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			r := invoke(args, nil)
			if r.code != 0 || !strings.Contains(r.stdout, "✓ match") || r.stderr != "" {
				t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
		})
	}
	if n == 0 {
		t.Fatalf("README.md has no line starting %q", prefix)
	}
}
