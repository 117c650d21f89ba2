package main

import (
	"context"
	"fmt"
	"github.com/imapprobe/imapprobe/internal/textreport"
	"io"
	"os"
	"runtime/debug"

	"github.com/imapprobe/imapprobe/prober"
)

// runPipeline runs the probes the command line asks for: one target as
// before, or a batch (several targets, --targets, --all-addrs), each
// optionally retried by --wait, and prints them as a report, a table,
// JSON Lines or a Nagios status line, with a JUnit file beside.
func runPipeline(ctx context.Context, cfg *config, env func(string) string, stdout, stderr io.Writer) int {
	p := cfg.pipe
	o := cfg.opts
	if p.only4 || p.only6 {
		o.LookupHost = familyLookup(o.LookupHost, p.only6)
	}
	cfg.opts = o
	if !p.batch && !p.allAddrs && p.wait == 0 && p.junit == "" && p.format == "text" {
		return probeAndReport(ctx, cfg, env, stdout, stderr)
	}
	var junitFile *os.File
	if p.junit != "" {
		// opened first, so that a bad path is a usage error before any probe
		f, err := os.Create(p.junit)
		if err != nil {
			return pipelineFail(cfg, stdout, stderr, prober.ExitUsage, fmt.Sprintf("cannot write --junit: %v", err))
		}
		defer f.Close()
		junitFile = f
	}
	if cfg.html != "" && (p.batch || p.allAddrs) {
		return pipelineFail(cfg, stdout, stderr, prober.ExitUsage, "--html writes one report: give one target, without --all-addrs (use --junit or --json for many)")
	}
	htmlOut, err := createHTML(cfg.html) // before any probe, as --junit
	if err != nil {
		return pipelineFail(cfg, stdout, stderr, prober.ExitUsage, err.Error())
	}
	if htmlOut != nil {
		defer htmlOut.Close()
	}
	jobs := sweep(ctx, cfg.targets, o, p)
	multi := p.batch || len(jobs) > 1
	stream := multi && cfg.json && p.wait == 0

	var outs []outcome
	var werr error
	if p.wait > 0 {
		outs = waitUntilOK(ctx, jobs, o, cfg.strict, p, cfg.json, stderr) // JSON Lines after the wait keep transcripts
	} else {
		if len(jobs) > 1 && p.parallel > 1 && env("GOGC") == "" {
			// a fleet's live heap is its in-flight probes: 70% of it as
			// headroom, not 100%, keeps RSS per probe under 100 KiB at no
			// rate measured (50% cost 5-9% of it: README, fleet speed)
			debug.SetGCPercent(70)
		}
		prog := newProgress(stderr, env, len(jobs))
		outs = runJobs(ctx, jobs, o, cfg.strict, p.parallel, prog, false, func(oc outcome) {
			if stream && werr == nil {
				werr = writeJSONLine(stdout, oc)
			}
		})
	}
	interrupted := ctx.Err() != nil
	code := worstCode(outs)
	if interrupted {
		code = exitInterrupted
	}
	if junitFile != nil {
		err := writeJUnit(junitFile, outs)
		if cerr := junitFile.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			fmt.Fprintln(stderr, "imapprobe: cannot write --junit: "+err.Error())
			code = max(code, prober.ExitUsage)
		}
	}
	switch {
	case p.format == "nagios":
		return writeNagios(stdout, outs, p, interrupted)
	case stream:
	case multi && cfg.json:
		for _, oc := range outs {
			if werr == nil {
				werr = writeJSONLine(stdout, oc)
			}
		}
	case multi:
		writeTable(stdout, outs, textreport.Style{Color: textreport.UseColor(stdout, env), Plain: textreport.IsPlain(stdout)}, code)
	default:
		c := reportOne(ctx, cfg, outs[0].rep, htmlOut, env, stdout, stderr)
		if c == prober.ExitMisbehaved && code != c { // the JSON could not be written
			return c
		}
		return code
	}
	if werr != nil {
		fmt.Fprintln(stderr, "imapprobe: cannot write the reports: "+werr.Error())
		return prober.ExitMisbehaved
	}
	if interrupted {
		fmt.Fprintln(stderr, "imapprobe: interrupted; the reports above are incomplete")
	}
	return code
}

// pipelineFail is fail, or Nagios's UNKNOWN under --format nagios.
func pipelineFail(cfg *config, stdout, stderr io.Writer, code int, msg string) int {
	if cfg.pipe.format == "nagios" {
		return failNagios(stdout, stderr, msg)
	}
	return fail(stdout, stderr, cfg.json, code, msg)
}
