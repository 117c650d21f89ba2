package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// useColor: only on a terminal, and never with NO_COLOR or TERM=dumb.
func useColor(w io.Writer, env func(string) string) bool {
	for {
		u, ok := w.(interface{ underlying() io.Writer })
		if !ok {
			break
		}
		w = u.underlying()
	}
	f, ok := w.(*os.File)
	return ok && isTerminal(f) && env("NO_COLOR") == "" && env("TERM") != "dumb"
}

// promptPassword reads a line from the terminal f with echo off. A
// cancelled ctx (a signal) ends it, with the terminal's echo restored.
func promptPassword(ctx context.Context, f *os.File, out io.Writer, prompt string) (string, error) {
	fd := int(f.Fd())
	old, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return "", err
	}
	quiet := *old
	quiet.Lflag &^= unix.ECHO
	quiet.Lflag |= unix.ICANON | unix.ISIG
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &quiet); err != nil {
		return "", err
	}
	defer func() {
		_ = unix.IoctlSetTermios(fd, unix.TCSETS, old)
		fmt.Fprintln(out)
	}()
	fmt.Fprint(out, prompt)
	type result struct {
		line string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		line, err := readFirstLine(f)
		got <- result{line, err}
	}()
	select {
	case r := <-got:
		return r.line, r.err
	case <-ctx.Done():
		return "", ctx.Err() // the read stays blocked until the process exits
	}
}
