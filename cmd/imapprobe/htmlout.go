package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/imapprobe/imapprobe/internal/htmlreport"
	"github.com/imapprobe/imapprobe/prober"
)

// createHTML opens the --html file before the probe runs, so that a path
// that cannot be written is a usage error, not a probe thrown away. It
// returns nil for no --html.
func createHTML(path string) (*os.File, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Create(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is quoted once, below
		}
		return nil, usagef("--html %s: cannot create it (%v): name a file in a directory you can write", path, err)
	}
	return f, nil
}

// writeHTML renders the report into f (nil: no --html) and closes it.
func writeHTML(f *os.File, rep *prober.Report, stderr io.Writer) bool {
	if f == nil {
		return true
	}
	err := htmlreport.Write(f, rep)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintln(stderr, "imapprobe: cannot write the --html report: "+oneLine(err.Error()))
		return false
	}
	return true
}
