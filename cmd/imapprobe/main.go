// Command imapprobe diagnoses an IMAP account step by step and says where,
// and why, it fails: DNS, TCP, TLS, greeting, STARTTLS, authentication,
// mailbox or fetch. See `imapprobe --help`.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/imapprobe/imapprobe/internal/textreport"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/imapprobe/imapprobe/internal/cliflag"
	"github.com/imapprobe/imapprobe/prober"
)

func main() {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	args, env := os.Args[1:], os.Getenv
	stdout, stderr := textreport.PlainWriters(env, os.Stdout, os.Stderr)
	os.Exit(withSignals(sigs, signalGrace, wantsJSON(args), stdout, stderr, func(ctx context.Context, stdout, stderr io.Writer) int {
		return runContext(ctx, args, env, os.Stdin, stdout, stderr)
	}))
}

// usageError is bad input: one line on stderr, exit 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// errVersion asks for --version.
var errVersion = errors.New("version requested")

// config is the parsed command line.
type config struct {
	target  prober.Target
	targets []prober.Target // target first; more in batch mode
	pipe    pipeline
	opts    prober.Options
	verbose bool
	json    bool
	strict  bool
	html    string // --html FILE: also write the report there as HTML
	record  string // --record FILE
}

// run is main without process globals or signals, for tests.
func run(args []string, env func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	stdout, stderr = textreport.PlainWriters(env, stdout, stderr)
	return runContext(context.Background(), args, env, stdin, stdout, stderr)
}

// runContext is run under a context that a signal cancels.
func runContext(ctx context.Context, args []string, env func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "demo":
			return runSibling("demo", demoCommand, args[1:], stderr)
		case "explain":
			return runExplain(args[1:], stdout, stderr)
		case "serve":
			return runSibling("serve", exporterCommand, args[1:], stderr)
		}
	}
	asJSON := wantsJSON(args)
	cfg, err := parseArgs(ctx, args, env, stdin, stderr)
	if err != nil && wantsNagios(args) && !errors.Is(err, flag.ErrHelp) && !errors.Is(err, errVersion) {
		return failNagios(stdout, stderr, err.Error())
	}
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, help(textreport.IsPlain(stdout)))
		return prober.ExitOK
	case errors.Is(err, errVersion):
		fmt.Fprintln(stdout, version())
		return prober.ExitOK
	case ctx.Err() != nil:
		// a signal during a prompt or --token-cmd
		return fail(stdout, stderr, asJSON, exitInterrupted, "interrupted before the probe started")
	case err != nil:
		return fail(stdout, stderr, asJSON, prober.ExitUsage, err.Error())
	}
	return runPipeline(ctx, cfg, env, stdout, stderr)
}

// errorSchema names the JSON object printed instead of a report.
const errorSchema = "imapprobe/error/v1"

// fail reports an error that left no report: one line on stderr and, with
// --json, an object on stdout so that a pipeline always gets JSON.
func fail(stdout, stderr io.Writer, asJSON bool, code int, msg string) int {
	msg = oneLine(msg)
	fmt.Fprintln(stderr, "imapprobe: "+msg)
	if asJSON {
		writeJSON(stdout, stderr, errorDoc(code, msg))
	}
	return code
}

func errorDoc(code int, msg string) any {
	return struct {
		Schema   string `json:"schema"`
		Error    string `json:"error"`
		ExitCode int    `json:"exit_code"`
	}{errorSchema, msg, code}
}

func writeJSON(stdout, stderr io.Writer, v any) bool {
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		fmt.Fprintln(stderr, "imapprobe: cannot encode the report: "+err.Error())
		return false
	}
	return true
}

// wantsJSON finds --json before parsing, so that even a usage error
// answers in JSON.
func wantsJSON(args []string) bool {
	on := false
	for _, a := range args {
		if a == "--" {
			break
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "json" {
			continue
		}
		if !hasVal {
			on = true
		} else if b, err := strconv.ParseBool(val); err == nil {
			on = b
		} // an invalid value is a usage error, answered as the earlier --json said
	}
	return on
}

// exitInterrupted is the shell's code for a process ended by SIGINT.
const exitInterrupted = textreport.ExitInterrupted

// probeAndReport runs the probe and prints its report. Once ctx is
// cancelled (Ctrl-C), the report so far is printed and the exit code says
// the probe was interrupted, not that the server timed out.
func probeAndReport(ctx context.Context, cfg *config, env func(string) string, stdout, stderr io.Writer) int {
	htmlOut, err := createHTML(cfg.html)
	if err != nil {
		return fail(stdout, stderr, cfg.json, prober.ExitUsage, err.Error())
	}
	return reportOne(ctx, cfg, prober.Probe(ctx, cfg.target, cfg.opts), htmlOut, env, stdout, stderr)
}

// reportOne prints a single probe's report, as text or JSON, and into
// htmlOut (--html) when set.
func reportOne(ctx context.Context, cfg *config, rep *prober.Report, htmlOut *os.File, env func(string) string, stdout, stderr io.Writer) int {
	interrupted := ctx.Err() != nil
	code := rep.ExitCode(cfg.strict)
	if interrupted {
		code = exitInterrupted
	}
	if cfg.json {
		doc := struct {
			*prober.Report
			ExitCode int `json:"exit_code"` // the process exit code, as in --help
		}{rep, code}
		if !writeJSON(stdout, stderr, doc) {
			return prober.ExitMisbehaved
		}
	} else {
		textreport.Write(stdout, rep, textreport.Style{Verbose: cfg.verbose, Color: textreport.UseColor(stdout, env), Plain: textreport.IsPlain(stdout),
			Strict: cfg.strict, Interrupted: interrupted})
	}
	if !writeHTML(htmlOut, rep, stderr) {
		return prober.ExitMisbehaved
	}
	if interrupted {
		fmt.Fprintln(stderr, "imapprobe: interrupted; the report above is incomplete")
	}
	if cfg.record != "" && !writeRecording(cfg.record, rep, cfg.opts, stderr) && code == prober.ExitOK {
		code = prober.ExitUsage
	}
	return code
}

func oneLine(s string) string { return cliflag.OneLine(s) }
