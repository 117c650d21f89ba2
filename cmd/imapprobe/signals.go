package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// signalGrace is how long the probe has, after SIGINT or SIGTERM, to stop
// and print its report before the process exits without it.
const signalGrace = 2 * time.Second

// withSignals runs work, and guarantees that a signal ends the process:
// the first cancels work's context, so the probe stops and prints the
// report so far; if work has not returned within grace, or a second signal
// comes, withSignals prints one line (with asJSON also a JSON object, if
// work has not written one) and returns exitInterrupted. From then on,
// whatever work still writes is dropped, so the outputs do not interleave.
func withSignals(sigs <-chan os.Signal, grace time.Duration, asJSON bool, stdout, stderr io.Writer, work func(ctx context.Context, stdout, stderr io.Writer) int) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, errOut := &gate{w: stdout}, &gate{w: stderr}
	done := make(chan int, 1)
	go func() { done <- work(ctx, out, errOut) }()

	select {
	case code := <-done:
		return code
	case <-sigs:
		cancel()
	}
	why := fmt.Sprintf("interrupted; the probe did not stop within %s", grace)
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case code := <-done:
		return code
	case <-timer.C:
	case <-sigs:
		why = "interrupted twice"
	}
	wrote := out.close()
	errOut.close()
	if wrote {
		why += "; the report above is incomplete"
	} else {
		why += "; exiting without a report"
	}
	fmt.Fprintln(stderr, "imapprobe: "+why)
	if asJSON && !wrote {
		writeJSON(stdout, stderr, errorDoc(exitInterrupted, why))
	}
	return exitInterrupted
}

// gate passes writes through until closed, then drops them.
type gate struct {
	mu     sync.Mutex
	w      io.Writer
	wrote  bool
	closed bool
}

func (g *gate) Write(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return len(p), nil
	}
	g.wrote = g.wrote || len(p) > 0
	return g.w.Write(p)
}

// close stops further writes, waiting for one in progress, and reports
// whether anything was written.
func (g *gate) close() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closed = true
	return g.wrote
}

// Underlying lets textreport see the terminal under the gate.
func (g *gate) Underlying() io.Writer { return g.w }
