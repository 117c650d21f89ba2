package integration

import (
	"fmt"
	"runtime"
	"testing"
)

// endRecorder is a testing.TB whose Skip and Fatal are noted and end
// only the goroutine that called them, as the real ones end the test.
type endRecorder struct {
	testing.TB
	skipped, failed string
}

func (r *endRecorder) Skip(args ...any)  { r.skipped = fmt.Sprint(args...); runtime.Goexit() }
func (r *endRecorder) Fatal(args ...any) { r.failed = fmt.Sprint(args...); runtime.Goexit() }

// TestClientMissing: a client that is not installed skips its test with
// how to install its Debian package, and under CI=true fails it instead.
func TestClientMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // no client on it
	for _, tc := range []struct {
		ci                    string
		wantSkipped, wantFail string
	}{
		{"", "getmail is not available: apt-get install getmail6 (as root on Debian, integration/realservers/setup.sh does it) (under CI=true this fails)", ""},
		{"true", "", "getmail is not available: apt-get install getmail6 (as root on Debian, integration/realservers/setup.sh does it)"},
	} {
		t.Setenv("CI", tc.ci)
		rec := &endRecorder{TB: t}
		done := make(chan string)
		go func() {
			defer close(done)
			needClient(rec, "getmail")
		}()
		<-done
		if rec.skipped != tc.wantSkipped || rec.failed != tc.wantFail {
			t.Errorf("CI=%q: skipped %q, failed %q; want %q, %q", tc.ci, rec.skipped, rec.failed, tc.wantSkipped, tc.wantFail)
		}
	}
}
