// Command imapprobe-demo runs every scenario of the diagnosis matrix
// against the embedded fake IMAP server and checks that imapprobe
// diagnoses each as expected. `imapprobe demo` runs it; it is a program of
// its own so that a plain probe neither links nor starts the fake server
// (issue 10, G5 and G6). See `imapprobe demo --help`.
package main

import (
	"io"
	"os"

	"github.com/imapprobe/imapprobe/internal/textreport"
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run is main without process globals, for tests.
func run(args []string, env func(string) string, stdout, stderr io.Writer) int {
	stdout, stderr = textreport.PlainWriters(env, stdout, stderr)
	return runDemo(args, env, stdout, stderr)
}
