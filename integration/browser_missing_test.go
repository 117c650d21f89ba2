package integration

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestBrowserWithoutChromium runs a browser test in a child test process
// whose PATH holds no Chromium: under CI=true it fails, elsewhere it
// skips, and either way it says how to install Chromium.
func TestBrowserWithoutChromium(t *testing.T) {
	t.Parallel()
	const howTo = "Chromium is not available: install it (Debian: apt-get install chromium; integration/realservers/setup.sh does), or set IMAPPROBE_CHROMIUM to a Chrome or Chromium binary"
	emptyPath := t.TempDir()
	for _, tc := range []struct {
		ci       string
		fails    bool
		verdict  string
		ciSuffix string
	}{
		{"true", true, "--- FAIL: TestBrowserDashboardToken", ""},
		{"", false, "--- SKIP: TestBrowserDashboardToken", " (under CI=true this fails)"},
	} {
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestBrowserDashboardToken$", "-test.v", "-test.count=1")
		var env []string
		for _, kv := range os.Environ() {
			if k, _, _ := strings.Cut(kv, "="); k != "PATH" && k != "CI" && k != "IMAPPROBE_CHROMIUM" {
				env = append(env, kv)
			}
		}
		cmd.Env = append(env, "PATH="+emptyPath, "CI="+tc.ci)
		out, err := cmd.CombinedOutput()
		cancel()
		if failed := err != nil; failed != tc.fails || !strings.Contains(string(out), tc.verdict) || !strings.Contains(string(out), howTo+tc.ciSuffix) {
			t.Errorf("CI=%q without Chromium: err %v, output:\n%s\nwant %s, saying %q", tc.ci, err, out, tc.verdict, howTo+tc.ciSuffix)
		}
	}
}
