package fakeserver

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/imapprobe/imapprobe/recording"
)

// TestWriteRecordingNeverOverwrites: a second recording of the same
// connection number, process and microsecond (another server writing to
// the same directory) gets a name of its own, and the first file stays.
func TestWriteRecordingNeverOverwrites(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := ConnRecord{ID: 7, Remote: "127.0.0.1:1", Port: "tls", Start: time.Date(2026, 12, 3, 14, 35, 12, 123456789, time.UTC)}
	var paths []string
	for i := range 3 {
		rec := &recording.Recording{TLS: "implicit", User: "u" + strconv.Itoa(i)}
		p, err := writeRecording(dir, r, rec)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, filepath.Base(p))
	}
	base := "20261203T143512.123456Z-p" + strconv.Itoa(os.Getpid()) + "-conn7"
	want := []string{base + ".rec", base + "-2.rec", base + "-3.rec"}
	for i := range want {
		if paths[i] != want[i] {
			t.Fatalf("names %q, want %q", paths, want)
		}
		b, err := os.ReadFile(filepath.Join(dir, want[i]))
		if err != nil {
			t.Fatal(err)
		}
		rec, err := recording.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", want[i], err)
		}
		if rec.User != "u"+strconv.Itoa(i) {
			t.Errorf("%s: user %q, want u%d: a file was overwritten", want[i], rec.User, i)
		}
	}
}
