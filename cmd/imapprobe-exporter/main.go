// Command imapprobe-exporter is the Prometheus exporter that
// `imapprobe serve` runs: GET /probe runs one probe and answers with its
// metrics, as blackbox_exporter does. It is a command of its own so that
// a plain imapprobe does not link the Prometheus client. See
// `imapprobe serve --help` and README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := runServe(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
