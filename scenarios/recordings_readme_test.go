package scenarios

import (
	"os"
	"strings"
	"testing"
)

// TestREADMERecordingExample: the README's recording example is the
// checked-in file (which TestRecordingScenarios replays), byte for byte.
func TestREADMERecordingExample(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "<!-- recording-example -->\n```\n")
	block, _, ok2 := strings.Cut(rest, "```\n<!-- /recording-example -->")
	if !ok || !ok2 {
		t.Fatal("README.md has no recording-example block")
	}
	file, err := os.ReadFile("recordings/gmail-app-password.rec")
	if err != nil {
		t.Fatal(err)
	}
	if block != string(file) {
		t.Errorf("README.md's recording example differs from recordings/gmail-app-password.rec; copy the file there.\nREADME:\n%s\nfile:\n%s", block, file)
	}
}
