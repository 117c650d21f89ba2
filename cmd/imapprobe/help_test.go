package main

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/imapprobe/imapprobe/prober"
)

// TestHelpNamesEveryStep: the help's "Steps:" paragraph names the
// prober's steps, all of them and in order, so that a new step in the plan
// cannot go undocumented.
func TestHelpNamesEveryStep(t *testing.T) {
	t.Parallel()
	_, rest, ok := strings.Cut(helpText, "\nSteps: ")
	if !ok {
		t.Fatal(`help has no "Steps:" paragraph`)
	}
	para, _, _ := strings.Cut(rest, ".\n")
	para = regexp.MustCompile(`\([^)]*\)`).ReplaceAllString(para, "")
	var got []string
	for _, f := range strings.Split(para, ",") {
		got = append(got, strings.TrimSpace(f))
	}
	if !slices.Equal(got, prober.Steps) {
		t.Errorf("help lists steps %q, the prober has %q", got, prober.Steps)
	}
}
