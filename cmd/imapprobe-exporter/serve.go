package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/imapprobe/imapprobe/exporter"
	"github.com/imapprobe/imapprobe/internal/cliflag"
	"github.com/imapprobe/imapprobe/prober"
)

const serveHelp = `usage: imapprobe serve --config FILE [--listen ADDR] [flags]

Runs a Prometheus exporter shaped like blackbox_exporter:
  GET  /probe?target=imaps://USER@HOST/INBOX&module=NAME   one probe, its metrics
  GET  /metrics                                            the exporter's own metrics
  POST /-/reload                                           reread --config (so does SIGHUP)
Modules, and credentials by reference, come from the YAML file; see README.md.

  --config FILE           the modules file (required)
  --listen ADDR           address to serve on (default :9953)
  --max-concurrent N      probes at once (default %d); more wait in the queue
  --max-queue N           probes waiting for a slot (default %d); beyond it, 503
  --timeout-offset D      taken off the scrape timeout (default 500ms)
  --log-level LEVEL       debug, info, warn or error (default info); logs go to stderr
  --ui                    serve the live probe page on ` + defaultUIListen + ` (GET /ui)
  --ui-listen ADDR        serve the live probe page on ADDR; not loopback: needs --ui-token-file
  --ui-token-file FILE    the page wants "Authorization: Bearer TOKEN", TOKEN the file's first line
`

// serveFlagWants says what a flag takes where the flag package says only
// "parse error".
var serveFlagWants = map[string]string{
	"max-concurrent": "want a whole number, 1 or more", "max-queue": "want a whole number, 0 or more",
	"timeout-offset": "want a duration such as 500ms or 1s",
}

// serveShutdown is how long open requests get once SIGINT or SIGTERM
// comes; it fits in signalGrace.
const serveShutdown = 1500 * time.Millisecond

func runServe(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("imapprobe serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var (
		o        = exporter.Options{Env: env}
		listen   string
		logLevel string
		ui       uiFlags
	)
	fs.StringVar(&o.ConfigFile, "config", "", "")
	fs.StringVar(&listen, "listen", ":9953", "")
	fs.IntVar(&o.MaxConcurrent, "max-concurrent", exporter.DefaultMaxConcurrent, "")
	fs.IntVar(&o.MaxQueue, "max-queue", exporter.DefaultMaxQueue, "")
	fs.DurationVar(&o.TimeoutOffset, "timeout-offset", exporter.DefaultTimeoutOffset, "")
	fs.StringVar(&logLevel, "log-level", "info", "")
	fs.BoolVar(&ui.on, "ui", false, "")
	fs.StringVar(&ui.listen, "ui-listen", "", "")
	fs.StringVar(&ui.tokenFile, "ui-token-file", "", "")
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "imapprobe serve: "+format+"\n", a...)
		return prober.ExitUsage
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stdout, serveHelp, exporter.DefaultMaxConcurrent, exporter.DefaultMaxQueue)
			return prober.ExitOK
		}
		return usage("%s; run imapprobe serve --help", cliflag.Explain(err, serveFlagWants))
	}
	var level slog.Level
	switch {
	case fs.NArg() > 0:
		return usage("unexpected argument %q; targets come with each /probe request", fs.Arg(0))
	case o.ConfigFile == "":
		return usage("--config FILE is required: a YAML file with a modules: section (see README.md)")
	case o.MaxConcurrent < 1:
		return usage("--max-concurrent %d: want 1 or more", o.MaxConcurrent)
	case o.MaxQueue < 0:
		return usage("--max-queue %d: want 0 or more", o.MaxQueue)
	case o.TimeoutOffset < 0:
		return usage("--timeout-offset %s: want 0 or more", o.TimeoutOffset)
	case level.UnmarshalText([]byte(logLevel)) != nil:
		return usage("--log-level %q: want debug, info, warn or error", logLevel)
	}
	uiAddr, uiToken, err := ui.resolve()
	if err != nil {
		return usage("%s", cliflag.OneLine(err.Error()))
	}
	if o.MaxQueue == 0 {
		o.MaxQueue = -1 // none: exporter.Options reads 0 as the default
	}
	o.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	e, err := exporter.New(o)
	if err != nil {
		return usage("%s", cliflag.OneLine(err.Error()))
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return usage("--listen %s: %v", listen, err)
	}
	if uiAddr != "" {
		stopUI, err := startUI(uiAddr, uiToken, o.Logger, stderr)
		if err != nil {
			ln.Close()
			return usage("%s", cliflag.OneLine(err.Error()))
		}
		defer stopUI()
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go e.ReloadOn(ctx, hup)

	srv := &http.Server{
		Handler:           e.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      exporter.MaxProbeTimeout + 30*time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	o.Logger.Info("listening", "addr", ln.Addr().String(), "config", o.ConfigFile)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		fmt.Fprintln(stderr, "imapprobe serve: "+err.Error())
		return prober.ExitMisbehaved
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), serveShutdown)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	o.Logger.Info("stopped")
	return prober.ExitOK
}
