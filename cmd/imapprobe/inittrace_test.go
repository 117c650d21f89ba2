package main

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// TestPlainStartDoesNotBuildTheFake checks, from the runtime's own init
// trace, that a plain imapprobe links neither the fake server, its faults
// and scenarios, YAML and net/http (imapprobe demo execs imapprobe-demo),
// nor the exporter's Prometheus client (imapprobe serve execs
// imapprobe-exporter). It reads package names, not times, so a loaded
// machine cannot flip it; the prober's own init line shows the trace was
// read.
func TestPlainStartDoesNotBuildTheFake(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(binary(t), "--version")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("imapprobe --version: %v\n%s", err, out)
	}
	line := regexp.MustCompile(`(?m)^init (\S+) @`)
	const mod = "github.com/imapprobe/imapprobe/"
	foreign := []string{mod + "fakeserver", mod + "faults", mod + "scenarios", mod + "exporter", mod + "replay",
		"github.com/emersion/go-imap/v2/imapserver", "go.yaml.in/", "net/http", "github.com/prometheus/", "google.golang.org/protobuf"}
	sawProber := false
	for _, m := range line.FindAllStringSubmatch(string(out), -1) {
		sawProber = sawProber || m[1] == mod+"prober"
		for _, f := range foreign {
			if m[1] == f || strings.HasPrefix(m[1], f+"/") || strings.HasSuffix(f, "/") && strings.HasPrefix(m[1], f) {
				t.Errorf("imapprobe links %s (init %s), which only imapprobe-demo or imapprobe-exporter needs", f, m[1])
			}
		}
	}
	if !sawProber {
		t.Errorf("no init trace line for the prober in:\n%s", out)
	}
}
