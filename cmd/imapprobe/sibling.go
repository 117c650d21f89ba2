package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	"github.com/imapprobe/imapprobe/prober"
)

// The programs `imapprobe serve` and `imapprobe demo` become. Each is a
// command of its own so that a plain probe neither links nor starts
// client_golang, protobuf and YAML (the exporter), nor the fake server and
// its scenarios (the demo): issue 10, G5 and G6.
const (
	exporterCommand = "imapprobe-exporter"
	demoCommand     = "imapprobe-demo"
)

// runSibling replaces this process with command (same PID, so SIGHUP and
// SIGTERM reach it, and a supervisor sees one process). It returns only
// when command cannot be run: one line on stderr, exit 2.
func runSibling(sub, command string, args []string, stderr io.Writer) int {
	path, err := findSibling(command)
	if err == nil {
		err = syscall.Exec(path, append([]string{path}, args...), os.Environ())
		err = fmt.Errorf("cannot run %s: %v", path, err)
	}
	fmt.Fprintln(stderr, "imapprobe "+sub+": "+err.Error())
	return prober.ExitUsage
}

// findSibling looks beside this executable first, where `make build` and
// `go install ./cmd/...` put them all, then on PATH.
func findSibling(command string) (string, error) {
	self, err := os.Executable()
	if err == nil {
		if resolved, rerr := filepath.EvalSymlinks(self); rerr == nil {
			self = resolved
		}
		beside := filepath.Join(filepath.Dir(self), command)
		if fi, serr := os.Stat(beside); serr == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return beside, nil
		}
	}
	path, lerr := exec.LookPath(command)
	if lerr == nil {
		return path, nil
	}
	where := "on PATH"
	if err == nil {
		where = "in " + filepath.Dir(self) + " or on PATH"
	}
	if !errors.Is(lerr, exec.ErrNotFound) {
		return "", fmt.Errorf("%s: %v", command, lerr)
	}
	return "", fmt.Errorf("%s is not installed (looked %s): install it with go install github.com/imapprobe/imapprobe/cmd/%s@latest, or run make build", command, where, command)
}
