package main

import (
	"context"
	"fmt"
	"github.com/imapprobe/imapprobe/internal/textreport"
	"io"
	"strings"
	"time"

	"github.com/imapprobe/imapprobe/prober"
)

// waitUntilOK is --wait: it probes every job, then again every interval,
// until each one is OK (warnings allowed, unless --strict) or the wait
// deadline passes, printing one line per job and attempt on stderr so
// that stdout keeps only the final reports. It returns the last attempt's
// outcomes. An attempt never starts after the deadline, and each is cut
// short by it.
func waitUntilOK(ctx context.Context, jobs []job, o prober.Options, strict bool, p pipeline, keep bool, stderr io.Writer) []outcome {
	deadline := time.Now().Add(p.wait)
	wctx, cancel := context.WithDeadline(ctx, deadline.Add(p.interval)) // the last attempt may finish its run
	defer cancel()
	var outs []outcome
	for attempt := 1; ; attempt++ {
		outs = runJobs(wctx, jobs, o, strict, p.parallel, nil, keep, nil)
		allOK := true
		for _, oc := range outs {
			line := oneLineResult(oc)
			if textreport.IsPlain(stderr) {
				line = strings.ReplaceAll(line, "µ", "u")
			}
			fmt.Fprintf(stderr, "imapprobe: attempt %d: %s\n", attempt, line)
			allOK = allOK && oc.code == prober.ExitOK
		}
		next := time.Now().Add(p.interval)
		if allOK || ctx.Err() != nil || next.After(deadline) {
			if !allOK && ctx.Err() == nil {
				fmt.Fprintf(stderr, "imapprobe: gave up after %d attempts: --wait %s passed\n", attempt, p.wait)
			}
			return outs
		}
		select {
		case <-ctx.Done():
			return outs
		case <-time.After(time.Until(next)):
		}
	}
}

// oneLineResult is a job's verdict in one line, as the report's last.
func oneLineResult(oc outcome) string {
	r := oc.rep.Result
	switch r.Status {
	case prober.StatusFail:
		return fmt.Sprintf("%s FAIL at %s (%s) after %s; exit %d", textreport.Escape(oc.label), r.Step, r.Code, textreport.FormatDuration(oc.rep.Duration), oc.code)
	case prober.StatusWarn:
		return fmt.Sprintf("%s OK with warnings (%s) after %s; exit %d", textreport.Escape(oc.label), codeList(oc.rep.Codes()), textreport.FormatDuration(oc.rep.Duration), oc.code)
	}
	return fmt.Sprintf("%s OK after %s; exit %d", textreport.Escape(oc.label), textreport.FormatDuration(oc.rep.Duration), oc.code)
}

func codeList(cs []prober.Code) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = string(c)
	}
	return strings.Join(s, ", ")
}
