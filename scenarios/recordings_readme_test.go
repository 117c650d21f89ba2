package scenarios

import (
	"os"
	"testing"

	"github.com/imapprobe/imapprobe/internal/testkit"
)

// TestREADMERecordingExample: the README's recording example is the
// checked-in file (which TestRecordingScenarios replays), byte for byte.
func TestREADMERecordingExample(t *testing.T) {
	t.Parallel()
	block := testkit.READMEBlock(t, "../README.md", "recording-example")
	file, err := os.ReadFile("recordings/gmail-app-password.rec")
	if err != nil {
		t.Fatal(err)
	}
	if block != string(file) {
		t.Errorf("README.md's recording example differs from recordings/gmail-app-password.rec; copy the file there.\nREADME:\n%s\nfile:\n%s", block, file)
	}
}
