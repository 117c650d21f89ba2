package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"github.com/imapprobe/imapprobe/internal/textreport"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/imapprobe/imapprobe/prober"
)

// pipeline holds the flags for running imapprobe from monitoring and
// pipelines: several targets, JUnit and Nagios output, an address sweep
// and a wait-until-ready loop. Its zero value is the classic single probe.
type pipeline struct {
	targetsFile        string
	parallel           int
	junit              string
	format             string
	warnDays, critDays int
	allAddrs           bool
	only4, only6       bool
	wait, interval     time.Duration

	batch bool // several targets, or --targets: a table or JSON Lines
}

// register adds the pipeline flags to fs.
func (p *pipeline) register(fs *flag.FlagSet) {
	fs.StringVar(&p.targetsFile, "targets", "", "")
	fs.IntVar(&p.parallel, "parallel", defaultParallel, "")
	fs.StringVar(&p.junit, "junit", "", "")
	fs.StringVar(&p.format, "format", "text", "")
	fs.IntVar(&p.warnDays, "warn-days", 14, "")
	fs.IntVar(&p.critDays, "crit-days", 7, "")
	fs.BoolVar(&p.allAddrs, "all-addrs", false, "")
	fs.BoolVar(&p.only4, "4", false, "")
	fs.BoolVar(&p.only6, "6", false, "")
	fs.DurationVar(&p.wait, "wait", 0, "")
	fs.DurationVar(&p.interval, "interval", 2*time.Second, "")
}

const defaultParallel = 8

// check validates the pipeline flags against each other and the rest.
func (p *pipeline) check(asJSON bool, set map[string]bool) error {
	switch {
	case p.parallel < 1 || p.parallel > 1024:
		return usagef("--parallel %d: want 1 to 1024", p.parallel)
	case p.format != "text" && p.format != "nagios":
		return usagef("--format %q: use text or nagios", p.format)
	case p.format == "nagios" && asJSON:
		return usagef("--format nagios and --json exclude each other: pick one")
	case p.warnDays < 0 || p.critDays < 0 || p.critDays > p.warnDays:
		return usagef("--warn-days %d --crit-days %d: want 0 <= crit-days <= warn-days", p.warnDays, p.critDays)
	case (set["warn-days"] || set["crit-days"]) && p.format != "nagios":
		return usagef("--warn-days and --crit-days go with --format nagios; otherwise use --expiry-warning")
	case p.only4 && p.only6:
		return usagef("-4 and -6 exclude each other: give one, or neither for both")
	case p.wait < 0:
		return usagef("--wait must be positive, e.g. 5m")
	case p.interval <= 0:
		return usagef("--interval must be positive, e.g. 2s")
	case set["interval"] && p.wait == 0:
		return usagef("--interval goes with --wait DURATION")
	}
	return nil
}

// maxTargetsFile bounds --targets: a million URLs is far past any fleet.
const maxTargetsFile = 64 << 20

// readTargetsFile returns the URLs of a --targets file: one a line, with
// blank lines and # comments skipped. Each URL comes with its file:line so
// that a bad one is named where it is.
func readTargetsFile(path string, stdin io.Reader) ([]targetLine, error) {
	var r io.Reader = stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, usagef("cannot read --targets: %v", err)
		}
		defer f.Close()
		r = f
	}
	var out []targetLine
	sc := bufio.NewScanner(io.LimitReader(r, maxTargetsFile))
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, targetLine{raw: line, where: fmt.Sprintf("%s:%d", path, n)})
	}
	if err := sc.Err(); err != nil {
		return nil, usagef("cannot read --targets %s: %v", path, err)
	}
	if len(out) == 0 {
		return nil, usagef("--targets %s holds no URL: write one imaps://USER@HOST/MAILBOX a line", path)
	}
	return out, nil
}

// targetLine is one URL and where it came from ("" for the command line),
// or with host the target of --host alone.
type targetLine struct {
	raw, where string
	host       bool
}

// job is one probe of a batch: a target, possibly pinned to one address.
type job struct {
	target prober.Target
	label  string
}

// outcome is a finished job.
type outcome struct {
	job
	rep  *prober.Report
	code int
}

// runJobs probes every job, at most parallel at once, and calls done for
// each outcome in job order as soon as it and every earlier one finished,
// so that JSON Lines stream in a stable order. A fixed pool of workers
// takes the jobs in turn, so a batch of ten thousand costs ten thousand
// small outcomes, not ten thousand goroutines. In a batch each report's
// transcript is dropped once done has seen it, unless keep: the table,
// JUnit and Nagios outputs never show one, and a fleet's transcripts would
// dominate memory.
func runJobs(ctx context.Context, jobs []job, o prober.Options, strict bool, parallel int, prog *progress, keep bool, done func(outcome)) []outcome {
	out := make([]outcome, len(jobs))
	ready := make([]chan struct{}, len(jobs))
	for i := range ready {
		ready[i] = make(chan struct{})
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(parallel, len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(jobs) {
					return
				}
				rep := prober.Probe(ctx, jobs[i].target, o)
				out[i] = outcome{job: jobs[i], rep: rep, code: rep.ExitCode(strict)}
				prog.finished(rep.Result.Status == prober.StatusFail)
				close(ready[i])
			}
		}()
	}
	for i := range jobs {
		<-ready[i]
		if done != nil {
			done(out[i])
		}
		if !keep && len(jobs) > 1 {
			slim(out[i].rep)
		}
	}
	wg.Wait()
	prog.clear()
	return out
}

// slim drops what no batch output after the stream shows: transcripts,
// and every step's details but TLS's (Nagios reads the certificate's days
// left). A fleet's reports would otherwise grow the heap by ~15 KiB each.
func slim(r *prober.Report) {
	for i := range r.Steps {
		st := &r.Steps[i]
		st.Transcript = nil
		switch st.Details.(type) {
		case *prober.TLSDetails, *prober.StartTLSDetails:
		default:
			st.Details = nil
		}
	}
}

// worstCode is the batch's exit code: the highest of the targets' codes,
// in the exit-code table's order (0 OK up to 9 misbehaviour), so that one
// failing target fails the batch and the code names a failure that
// happened.
func worstCode(outs []outcome) int {
	worst := prober.ExitOK
	for _, o := range outs {
		worst = max(worst, o.code)
	}
	return worst
}

// writeJSONLine prints one report as a single line of JSON (JSON Lines).
func writeJSONLine(w io.Writer, o outcome) error {
	b, err := json.Marshal(struct {
		*prober.Report
		ExitCode int `json:"exit_code"`
	}{o.rep, o.code})
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// writeTable prints the batch summary: one row per target, then a total.
func writeTable(w io.Writer, outs []outcome, st textreport.Style, worst int) {
	width := len("TARGET")
	for _, o := range outs {
		width = max(width, len(textreport.Escape(o.label)))
	}
	fmt.Fprintf(w, "%-*s  %-4s  %-12s  %-28s  %8s  %s\n", width, "TARGET", "RES", "STEP", "CODE", "TIME", "EXIT")
	counts := map[prober.Status]int{}
	for _, o := range outs {
		res := o.rep.Result
		counts[res.Status]++
		step, code := res.Step, string(res.Code)
		if res.Status == prober.StatusWarn && code == "" {
			if cs := o.rep.Codes(); len(cs) > 0 {
				code = string(cs[0])
			}
		}
		mark := map[prober.Status]string{prober.StatusOK: "OK", prober.StatusWarn: "WARN", prober.StatusFail: "FAIL"}[res.Status]
		mark = st.PaintStatus(res.Status, fmt.Sprintf("%-4s", mark))
		line := fmt.Sprintf("%-*s  %s  %-12s  %-28s  %8s  %d", width, textreport.Escape(o.label), mark, step, code, st.Dur(o.rep.Duration), o.code)
		fmt.Fprintln(w, line)
	}
	fmt.Fprintf(w, "%d targets: %d ok, %d with warnings, %d failed; exit %d\n",
		len(outs), counts[prober.StatusOK], counts[prober.StatusWarn], counts[prober.StatusFail], worst)
}

// progress is the live "done/total" line on a terminal's stderr; off a
// terminal it is nil and prints nothing.
type progress struct {
	mu           sync.Mutex
	w            io.Writer
	total, done  int
	failed       int
	last         time.Time
	shownAtLeast bool
}

func newProgress(stderr io.Writer, env func(string) string, total int) *progress {
	if !textreport.IsTTY(stderr) || env("TERM") == "dumb" {
		return nil
	}
	p := &progress{w: stderr, total: total}
	p.draw()
	return p
}

func (p *progress) finished(failed bool) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if failed {
		p.failed++
	}
	// redraw at most 20 times a second, and always for the last one
	if p.done == p.total || time.Since(p.last) >= 50*time.Millisecond {
		p.draw()
	}
}

func (p *progress) draw() {
	p.last = time.Now()
	fmt.Fprintf(p.w, "\r\x1b[Kimapprobe: %d/%d done, %d failed", p.done, p.total, p.failed)
	p.shownAtLeast = true
}

// clear erases the line, so that the results start on a clean one.
func (p *progress) clear() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shownAtLeast {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}
