package scenarios

import (
	"context"
	"fmt"
	"io"
	"sync"
	"text/tabwriter"
	"time"
)

// RunAll runs scenarios with at most parallel at once and returns the
// results in the order given. done, if not nil, is called as each finishes.
func RunAll(ctx context.Context, list []Scenario, parallel int, done func(Result)) ([]Result, error) {
	if parallel < 1 {
		parallel = 1
	}
	results := make([]Result, len(list))
	errs := make([]error, len(list))
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i, sc := range list {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i], errs[i] = Run(ctx, sc)
			if done != nil && errs[i] == nil {
				mu.Lock()
				done(results[i])
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return results, err
		}
	}
	return results, nil
}

// String renders a Want or Outcome as "step/code" with its warnings.
func (w Want) String() string {
	s := string(w.Code)
	if w.Step != "" {
		s = w.Step + "/" + s
	}
	for _, warn := range w.Warnings {
		s += " !" + string(warn)
	}
	return s
}

// WriteTable prints one row per result: scenario, expected, diagnosed,
// mark and time. It returns how many matched.
func WriteTable(w io.Writer, results []Result, pass, fail string) int {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tEXPECTED\tDIAGNOSED\t\tTIME")
	matched := 0
	for _, r := range results {
		mark := fail
		if r.Match {
			mark = pass
			matched++
		}
		got := r.Got.Want.String()
		if !r.Got.SkippedAfter {
			got += " (later steps ran)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Scenario.Name, r.Scenario.Want, got, mark, r.Elapsed.Round(100*time.Microsecond))
	}
	tw.Flush()
	return matched
}
