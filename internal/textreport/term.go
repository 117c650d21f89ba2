package textreport

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// IsTerminal reports whether f is a terminal.
func IsTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// IsTTY reports whether w is, under PlainWriters' wrapper, a terminal.
func IsTTY(w io.Writer) bool {
	for {
		u, ok := w.(interface{ Underlying() io.Writer })
		if !ok {
			break
		}
		w = u.Underlying()
	}
	f, ok := w.(*os.File)
	return ok && IsTerminal(f)
}

// UseColor: only on a terminal, and never with NO_COLOR or TERM=dumb.
func UseColor(w io.Writer, env func(string) string) bool {
	return IsTTY(w) && env("NO_COLOR") == "" && env("TERM") != "dumb"
}
