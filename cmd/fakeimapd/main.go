// Command fakeimapd runs the fake IMAP server of package fakeserver as a
// program, for tests written outside Go: real IMAP over loopback TCP/TLS,
// faults injected from flags, a JSON file, or an HTTP control API.
//
//	fakeimapd --mode starttls --listen 127.0.0.1:1143 --tls-listen 127.0.0.1:1993 \
//	    --fault 'delay:SELECT|EXAMINE=2s' --ca-out ca.pem --control 127.0.0.1:8143
//
// On start it prints one JSON line on stdout with its addresses; logs,
// including each connection's masked transcript, go to stderr.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/imapprobe/imapprobe/faults"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	opts, err := parseFlags(args, getenv)
	if errors.Is(err, errHelp) {
		fmt.Fprintf(stdout, usage, strings.Join(faults.Kinds(), ", "))
		// the grammar comes from the fault registry, so it cannot drift
		fmt.Fprint(stdout, "\nFault grammar (add ;user=NAME, ;nth=N, ;since=N or ;times=N):\n")
		for _, line := range strings.Split(strings.TrimRight(faults.Grammar(), "\n"), "\n") {
			fmt.Fprintln(stdout, "  "+line)
		}
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "fakeimapd: %v\n", err)
		return 2
	}
	if opts.listScenarios {
		listScenarios(stdout)
		return 0
	}
	if err := serve(ctx, opts, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "fakeimapd: %v\n", err)
		var u usageError
		if errors.As(err, &u) {
			return 2
		}
		return 1
	}
	return 0
}
