package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"

	"github.com/imapprobe/imapprobe/internal/cliflag"
	"github.com/imapprobe/imapprobe/internal/textreport"
	"github.com/imapprobe/imapprobe/prober"
	"github.com/imapprobe/imapprobe/scenarios"
)

const demoHelp = `usage: imapprobe demo [--scenario NAME] [--recordings DIR] [-v] [--json] [--list] [--parallel N]

Starts the embedded fake IMAP server in every scenario of the diagnosis
matrix, probes each one, and prints a table of scenario, expected diagnosis,
actual diagnosis, ✓ or ✗, and time. No account or network is needed.
Exits 0 only when every diagnosis matches.

  --scenario NAME   run one scenario (repeatable); with -v, show its full report and transcript
  -v                verbose: the full report with the redacted wire transcript
  --json            print the results as JSON
  --recordings DIR  add every DIR/*.rec recording (imapprobe --record) as a scenario: a replay
                    of it must give the verdict it records
  --list            list the scenarios and exit
  --parallel N      scenarios run at once (default: 4 per CPU)
`

func runDemo(args []string, env func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("imapprobe demo", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var (
		names           multiString
		verbose, asJSON bool
		list            bool
		parallel        int
		recordings      string
	)
	fs.StringVar(&recordings, "recordings", "", "")
	fs.Var(&names, "scenario", "")
	fs.BoolVar(&verbose, "v", false, "")
	fs.BoolVar(&asJSON, "json", false, "")
	fs.BoolVar(&list, "list", false, "")
	fs.IntVar(&parallel, "parallel", 4*runtime.NumCPU(), "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, demoHelp)
			return prober.ExitOK
		}
		fmt.Fprintf(stderr, "imapprobe demo: %s; run imapprobe demo --help\n", cliflag.Explain(err, nil))
		return prober.ExitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "imapprobe demo: unexpected argument %q; name scenarios with --scenario NAME\n", fs.Arg(0))
		return prober.ExitUsage
	}
	if parallel < 1 {
		fmt.Fprintf(stderr, "imapprobe demo: --parallel %d: want 1 or more\n", parallel)
		return prober.ExitUsage
	}

	all := scenarios.All()
	if recordings != "" {
		recs, err := scenarios.FromRecordings(recordings)
		if err == nil && len(recs) == 0 {
			err = fmt.Errorf("no *%s file in %s", scenarios.RecordingExt, recordings)
		}
		for _, rec := range recs {
			if _, ferr := findIn(all, rec.Name); ferr == nil && err == nil {
				err = fmt.Errorf("%s%s is named like the catalog's scenario %s: rename the file", rec.Name, scenarios.RecordingExt, rec.Name)
			}
		}
		if err != nil {
			fmt.Fprintf(stderr, "imapprobe demo: --recordings: %v\n", err)
			return prober.ExitUsage
		}
		all = append(all, recs...)
	}
	if list {
		for _, sc := range all {
			fmt.Fprintf(stdout, "%-28s %s\n", sc.Name, sc.Situation)
		}
		return prober.ExitOK
	}
	chosen := all
	if len(names) > 0 {
		chosen = nil
		for _, n := range names {
			sc, err := findIn(all, n)
			if err != nil {
				fmt.Fprintf(stderr, "imapprobe demo: %v\n", err)
				return prober.ExitUsage
			}
			chosen = append(chosen, sc)
		}
	}

	start := time.Now()
	results, err := scenarios.RunAll(context.Background(), chosen, parallel, nil)
	if err != nil {
		fmt.Fprintf(stderr, "imapprobe demo: %v\n", err)
		return prober.ExitMisbehaved
	}
	matched := 0
	for _, r := range results {
		if r.Match {
			matched++
		}
	}

	switch {
	case asJSON:
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(demoJSON{Schema: "imapprobe/demo/v1", Matched: matched, Total: len(results), Results: results}); err != nil {
			fmt.Fprintf(stderr, "imapprobe demo: %v\n", err)
			return prober.ExitMisbehaved
		}
	case verbose:
		st := textreport.Style{Verbose: true, Color: textreport.UseColor(stdout, env), Plain: textreport.IsPlain(stdout)}
		for _, r := range results {
			writeScenario(stdout, r, st)
		}
	default:
		fmt.Fprintf(stdout, "imapprobe demo: %s\n\n", demoHeading(chosen))
		pass, fail := "✓", "✗"
		if textreport.IsPlain(stdout) {
			pass, fail = "OK", "FAIL"
		}
		if textreport.UseColor(stdout, env) {
			pass, fail = textreport.Green+pass+textreport.Reset, textreport.Red+fail+textreport.Reset
		}
		scenarios.WriteTable(stdout, results, pass, fail)
	}
	if !asJSON {
		fmt.Fprintf(stdout, "\n%d/%d scenarios diagnosed as expected in %s\n", matched, len(results), textreport.Style{Plain: textreport.IsPlain(stdout)}.Dur(time.Since(start)))
	}
	if matched != len(results) {
		return prober.ExitMisbehaved
	}
	return prober.ExitOK
}

type demoJSON struct {
	Schema  string             `json:"schema"`
	Matched int                `json:"matched"`
	Total   int                `json:"total"`
	Results []scenarios.Result `json:"results"`
}

// writeScenario shows one scenario in full: the story, the faults, the
// expected and actual verdicts, and the prober's report with transcript.
func writeScenario(w io.Writer, r scenarios.Result, st textreport.Style) {
	sc := r.Scenario
	mark := st.Mark(prober.StatusOK) + st.Paint(textreport.Green, " match")
	if !r.Match {
		mark = st.Mark(prober.StatusFail) + st.Paint(textreport.Red, " MISMATCH")
	}
	rule := "──"
	if st.Plain {
		rule = "--"
	}
	fmt.Fprintf(w, "%s scenario %s: %s\n", rule, sc.Name, sc.Situation)
	fmt.Fprintf(w, "   fake server: mode %s", sc.Server.ModeName())
	if len(sc.Faults) > 0 {
		fmt.Fprintf(w, ", faults %s", strings.Join(sc.Faults, " + "))
	}
	fmt.Fprintf(w, "\n   expected %s, diagnosed %s: %s\n\n", sc.Want, r.Got.Want, mark)
	textreport.Write(w, r.Report, st)
	fmt.Fprintln(w)
}

type multiString []string

func (m *multiString) String() string     { return strings.Join(*m, ",") }
func (m *multiString) Set(v string) error { *m = append(*m, v); return nil }

// findIn is scenarios.Find over the catalog and the recordings.
func findIn(all []scenarios.Scenario, name string) (scenarios.Scenario, error) {
	for _, sc := range all {
		if sc.Name == name {
			return sc, nil
		}
	}
	return scenarios.Find(name)
}

// demoHeading says what the scenarios run against: the fake, and replays
// of recorded sessions for those that are recordings.
func demoHeading(chosen []scenarios.Scenario) string {
	replays := 0
	for _, sc := range chosen {
		if sc.Recording != nil {
			replays++
		}
	}
	switch {
	case replays == 0:
		return fmt.Sprintf("%d scenarios against the embedded fake IMAP server", len(chosen))
	case replays == len(chosen):
		return fmt.Sprintf("%d scenarios, each a replay of a recorded session", len(chosen))
	}
	return fmt.Sprintf("%d scenarios against the embedded fake IMAP server, %d of them replays of recorded sessions", len(chosen), replays)
}
