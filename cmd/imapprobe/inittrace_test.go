package main

import (
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestPlainStartDoesNotBuildTheFake checks, from the runtime's own init
// trace, that the packages linked only for demo allocate next to nothing
// at start-up: their tables and regexps are built on first use. It counts
// allocations, not time, so a loaded machine cannot flip it. Nor does it
// link the exporter's Prometheus client.
func TestPlainStartDoesNotBuildTheFake(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(binary(t), "--version")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("imapprobe --version: %v\n%s", err, out)
	}
	line := regexp.MustCompile(`(?m)^init (\S+) @.*, (\d+) bytes, (\d+) allocs$`)
	limits := map[string]int{ // allocations; before the lazy tables fakeserver made 2489
		"github.com/imapprobe/imapprobe/fakeserver": 50,
		"github.com/imapprobe/imapprobe/scenarios":  50,
	}
	seen := map[string]bool{}
	for _, m := range line.FindAllStringSubmatch(string(out), -1) {
		// the exporter is a command of its own (imapprobe serve execs it)
		if strings.HasPrefix(m[1], "github.com/prometheus/") || strings.HasPrefix(m[1], "google.golang.org/protobuf") || m[1] == "github.com/imapprobe/imapprobe/exporter" {
			t.Errorf("imapprobe links %s, the exporter's: %s", m[1], m[0])
		}
		limit, watched := limits[m[1]]
		if !watched {
			continue
		}
		seen[m[1]] = true
		if allocs, _ := strconv.Atoi(m[3]); allocs > limit {
			t.Errorf("init %s: %d allocations (%s bytes) for --version, want at most %d", m[1], allocs, m[2], limit)
		}
	}
	for pkg := range limits {
		if !seen[pkg] {
			t.Errorf("no init trace line for %s in:\n%s", pkg, out)
		}
	}
}
