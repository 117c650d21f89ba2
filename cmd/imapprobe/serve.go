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

// exporterCommand is the program `imapprobe serve` becomes. The exporter
// is a command of its own so that a plain probe does not link, nor pay
// the start-up of, client_golang, protobuf and YAML (issue 10, G6).
const exporterCommand = "imapprobe-exporter"

// runServe replaces this process with the exporter (same PID, so SIGHUP
// and SIGTERM reach it, and a supervisor sees one process). It returns
// only when the exporter cannot be run.
func runServe(args []string, stderr io.Writer) int {
	path, err := findExporter()
	if err == nil {
		err = syscall.Exec(path, append([]string{path}, args...), os.Environ())
		err = fmt.Errorf("cannot run %s: %v", path, err)
	}
	fmt.Fprintln(stderr, "imapprobe serve: "+err.Error())
	return prober.ExitUsage
}

// findExporter looks beside this executable first, where `make build` and
// `go install ./cmd/...` put both, then on PATH.
func findExporter() (string, error) {
	self, err := os.Executable()
	if err == nil {
		if resolved, rerr := filepath.EvalSymlinks(self); rerr == nil {
			self = resolved
		}
		beside := filepath.Join(filepath.Dir(self), exporterCommand)
		if fi, serr := os.Stat(beside); serr == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return beside, nil
		}
	}
	path, lerr := exec.LookPath(exporterCommand)
	if lerr == nil {
		return path, nil
	}
	where := "on PATH"
	if err == nil {
		where = "in " + filepath.Dir(self) + " or on PATH"
	}
	if !errors.Is(lerr, exec.ErrNotFound) {
		return "", fmt.Errorf("%s: %v", exporterCommand, lerr)
	}
	return "", fmt.Errorf("the exporter, %s, is not installed (looked %s): install it with go install github.com/imapprobe/imapprobe/cmd/%s@latest, or run make build", exporterCommand, where, exporterCommand)
}
