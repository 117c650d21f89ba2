// Command fleetprof profiles the prober as batch mode drives it: -n probes
// of one target, -parallel at once from a fixed pool of workers, each
// report dropped once done. It prints probes/s and the live heap per
// in-flight probe, the medians of samples taken after a forced GC at each
// sixth of the run, and can write a heap profile from the middle one and
// a CPU profile of the run:
//
//	fleetprof -url imaps://bench@127.0.0.1:993/INBOX -password-file pw \
//	    -ca-file ca.pem -n 4000 -parallel 64 -heapprofile heap.pb.gz
//
// It is a measuring tool for bench/batch-vs-blackbox.sh's figures, not
// a shipped binary. Every probe must pass, or it prints no figure.
package main

import (
	"bufio"
	"context"
	"crypto/x509"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/imapprobe/imapprobe/prober"
)

func main() {
	raw := flag.String("url", "", "target URL")
	n := flag.Int("n", 2000, "probes in all")
	par := flag.Int("parallel", 64, "probes at once")
	pwFile := flag.String("password-file", "", "file whose first line is the password")
	caFile := flag.String("ca-file", "", "PEM CA bundle to trust")
	heapOut := flag.String("heapprofile", "", "write an in-use heap profile taken halfway (and the goroutines, to FILE.goroutines)")
	cpuOut := flag.String("cpuprofile", "", "write a CPU profile of the run")
	keep := flag.Bool("keep", false, "keep every report and print the live heap per kept report")
	rate := flag.Int("memprofilerate", runtime.MemProfileRate, "runtime.MemProfileRate: bytes per sampled allocation (a low rate slows the run)")
	flag.Parse()
	runtime.MemProfileRate = *rate
	if err := run(*raw, *n, *par, *pwFile, *caFile, *heapOut, *cpuOut, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "fleetprof:", err)
		os.Exit(1)
	}
}

func run(raw string, n, par int, pwFile, caFile, heapOut, cpuOut string, keep bool) error {
	if raw == "" || n < 6 || par < 1 {
		return fmt.Errorf("want -url, -n of 6 or more and -parallel of 1 or more")
	}
	t, err := prober.ParseURL(raw)
	if err != nil {
		return err
	}
	o := prober.Options{StepTimeout: 10 * time.Second, Timeout: 30 * time.Second}
	if o.Password, err = firstLine(pwFile); err != nil {
		return err
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return err
	}
	o.RootCAs = x509.NewCertPool()
	if !o.RootCAs.AppendCertsFromPEM(pem) {
		return fmt.Errorf("%s: no certificate", caFile)
	}
	if cpuOut != "" {
		f, err := os.Create(cpuOut)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	var next, bad, done atomic.Int64
	var firstBad atomic.Value
	// samples at each sixth of the run; the heap profile at the middle one
	var mu sync.Mutex
	var busy []sample
	var liveErr error
	snapshot := func(k int64) {
		mu.Lock()
		defer mu.Unlock()
		busy = append(busy, take())
		if heapOut != "" && k == 3 {
			liveErr = writeHeap(heapOut)
			if f, err := os.Create(heapOut + ".goroutines"); err == nil {
				_ = pprof.Lookup("goroutine").WriteTo(f, 1)
				f.Close()
			}
		}
	}
	idle := take() // the same process before any probe: what the figures subtract

	kept := make([]*prober.Report, n)
	var wg sync.WaitGroup
	start := time.Now()
	for range par {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				rep := prober.Probe(context.Background(), t, o)
				if keep {
					kept[i] = rep
				}
				if rep.ExitCode(false) != prober.ExitOK { // a slow-step warning passes, as in batch mode
					bad.Add(1)
					firstBad.CompareAndSwap(nil, fmt.Sprintf("%s %s", rep.Result.Status, rep.Result.Code))
				}
				if d := done.Add(1); d%int64(n/6) == 0 && d/int64(n/6) <= 5 {
					snapshot(d / int64(n/6)) // the others stay in flight meanwhile
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if b := bad.Load(); b > 0 {
		return fmt.Errorf("%d of %d probes not OK; first: %v", b, n, firstBad.Load())
	}
	if liveErr != nil {
		return liveErr
	}
	per := func(f func(sample) uint64, unit float64) float64 {
		var v []float64
		for _, b := range busy {
			v = append(v, (float64(f(b))-float64(f(idle)))/unit/float64(par-1))
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	fmt.Printf("%.1f probes/s; per in-flight probe (%d), medians of %d samples: live heap %.1f KiB, stacks %.1f KiB (scanned %.1f), %.1f goroutines; starting stack %d B\n",
		float64(n)/elapsed.Seconds(), par-1, len(busy),
		per(func(s sample) uint64 { return s.live }, 1024), per(func(s sample) uint64 { return s.stacks }, 1024),
		per(func(s sample) uint64 { return s.scanned }, 1024), per(func(s sample) uint64 { return s.goroutines }, 1), busy[0].start)
	if keep {
		end := take()
		fmt.Printf("live heap per kept report: %.1f KiB\n", (float64(end.live)-float64(idle.live))/1024/float64(n))
		runtime.KeepAlive(kept)
	}
	return nil
}

// sample is the runtime's memory right after a forced GC.
type sample struct {
	live, stacks, scanned, start, goroutines uint64
}

func take() sample {
	runtime.GC()
	m := []metrics.Sample{
		{Name: "/gc/heap/live:bytes"},
		{Name: "/memory/classes/heap/stacks:bytes"},
		{Name: "/gc/scan/stack:bytes"},
		{Name: "/gc/stack/starting-size:bytes"},
		{Name: "/sched/goroutines:goroutines"},
	}
	metrics.Read(m)
	return sample{m[0].Value.Uint64(), m[1].Value.Uint64(), m[2].Value.Uint64(), m[3].Value.Uint64(), m[4].Value.Uint64()}
}

func writeHeap(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func firstLine(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("%s: empty", path)
	}
	return strings.TrimRight(line, "\r\n"), nil
}
