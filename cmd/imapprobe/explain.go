package main

import (
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	"github.com/imapprobe/imapprobe/prober"
)

// runExplain prints a diagnosis code's cause, fix and exit code from the
// catalog, offline; with no code, every code. Binary-only users have no
// docs/ directory.
func runExplain(args []string, stdout, stderr io.Writer) int {
	switch {
	case len(args) == 1 && (args[0] == "-h" || args[0] == "--help"):
		fmt.Fprintln(stdout, "usage: imapprobe explain [CODE]: the cause, fix and exit code of a diagnosis code; without CODE, list every code")
		return prober.ExitOK
	case len(args) == 0:
		for _, c := range prober.Catalog() {
			fmt.Fprintf(stdout, "%-28s %-10s exit %d  %s\n", c.Code, c.Step, c.ExitCode, c.Summary)
		}
		return prober.ExitOK
	case len(args) > 1:
		fmt.Fprintf(stderr, "imapprobe explain: give one code, e.g. imapprobe explain auth.failed\n")
		return prober.ExitUsage
	}
	c, ok := prober.Lookup(prober.Code(strings.ToLower(strings.TrimSpace(args[0]))))
	if !ok {
		fmt.Fprintf(stderr, "imapprobe explain: unknown code %q: run imapprobe explain (no code) to list them all\n", args[0])
		return prober.ExitUsage
	}
	kind := "failure"
	if c.Severity == prober.SeverityWarning {
		kind = "warning (exit code only with --strict)"
	}
	fmt.Fprintf(stdout, "%s: %s\n  step:      %s\n  kind:      %s\n  exit code: %d\n  cause:     %s\n  fix:       %s\n",
		c.Code, c.Summary, c.Step, kind, c.ExitCode, c.Cause, c.Fix)
	return prober.ExitOK
}

// version describes the build: module version (v1.2.3, or (devel) when
// built from a clone), VCS revision if recorded, and Go version.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "imapprobe (no build information)"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = ", modified"
			}
		}
	}
	out := "imapprobe " + v
	if rev != "" {
		out += fmt.Sprintf(" (revision %.12s%s)", rev, modified)
	}
	return out + " " + bi.GoVersion
}
