package scenarios

import (
	"os"
	"strings"
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

// TestREADMERecordedCatalog: the README's table of the catalog's
// recordings has a row for each, with the verdict it gives, and no other.
func TestREADMERecordedCatalog(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(readme), "### Recordings in the scenario catalog\n")
	section, _, _ = strings.Cut(section, "\n#")
	rows := 0
	for _, l := range strings.Split(section, "\n") {
		if strings.HasPrefix(l, "| `") {
			rows++
		}
	}
	n := 0
	for _, s := range All() {
		if s.Recording == nil {
			continue
		}
		n++
		if row := "| `" + s.Name + "` | " + s.Want.Step + "/" + string(s.Want.Code) + " |"; !strings.Contains(section, row) {
			t.Errorf("README.md's table of recordings has no row %q", row)
		}
	}
	if rows != n || n == 0 {
		t.Errorf("README.md's table has %d rows for %d recorded scenarios", rows, n)
	}
}
