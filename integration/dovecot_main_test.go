package integration

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain stops the private dockerd the suites may have started, then
// checks for leaked goroutines.
func TestMain(m *testing.M) {
	code := m.Run()
	if err := closeDocker(); err != nil {
		fmt.Fprintln(os.Stderr, "integration: stopping Docker:", err)
		code = 1
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "integration: goroutine leak:", err)
			code = 1
		}
	}
	os.Exit(code)
}
