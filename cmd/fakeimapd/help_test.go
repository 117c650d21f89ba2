package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/imapprobe/imapprobe/faults"
)

// TestHelpShowsTheGrammar: --help prints every form of the fault
// registry's grammar, and exits 0.
func TestHelpShowsTheGrammar(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"--help"}, func(string) string { return "" }, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	lines := strings.Split(strings.TrimRight(faults.Grammar(), "\n"), "\n")
	if len(lines) < 10 {
		t.Fatalf("grammar has %d lines", len(lines))
	}
	for _, l := range lines {
		if !strings.Contains(out.String(), "\n  "+l+"\n") {
			t.Errorf("--help lacks the grammar line %q", l)
		}
	}
}
