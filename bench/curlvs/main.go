// Command curlvs runs two commands alternately N times each and prints the
// median wall time and CPU time (user+sys, from the child's rusage) of each
// and their ratio A/B. A run counts only when the command exits 0 and its
// standard output contains the wanted text; otherwise curlvs exits 1 without
// printing a figure, so a figure always means the work happened.
//
//	curlvs -n 31 -label fake -a-want '"result":"OK"' -b-want 'Subject:' -- A ARGS... ::: B ARGS...
//
// Command lines are never printed (they may name secret files).
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"
)

type sample struct{ wall, cpu time.Duration }

func main() {
	n := flag.Int("n", 31, "runs of each command (interleaved)")
	label := flag.String("label", "", "name printed with the figures")
	aWant := flag.String("a-want", "", "text command A's stdout must contain")
	bWant := flag.String("b-want", "", "text command B's stdout must contain")
	aName := flag.String("a-name", "A", "command A's name in the output")
	bName := flag.String("b-name", "B", "command B's name in the output")
	timeout := flag.Duration("timeout", 20*time.Second, "limit for one run")
	flag.Parse()
	args := flag.Args()
	i := slices.Index(args, ":::")
	if i < 1 || i == len(args)-1 || *n < 1 {
		fmt.Fprintln(os.Stderr, "usage: curlvs [flags] -- A ARGS... ::: B ARGS...")
		os.Exit(2)
	}
	a, b := args[:i], args[i+1:]
	var as, bs []sample
	for r := 0; r < *n; r++ {
		// Alternate which goes first so neither always follows the other.
		order := []int{0, 1}
		if r%2 == 1 {
			order = []int{1, 0}
		}
		for _, w := range order {
			cmd, want, name, dst := a, *aWant, *aName, &as
			if w == 1 {
				cmd, want, name, dst = b, *bWant, *bName, &bs
			}
			s, err := run(cmd, want, *timeout)
			if err != nil {
				fmt.Fprintf(os.Stderr, "curlvs: %s run %d: %v\n", name, r+1, err)
				os.Exit(1)
			}
			*dst = append(*dst, s)
		}
	}
	aw, ac := medians(as)
	bw, bc := medians(bs)
	fmt.Printf("%s: %d runs each, medians: %s wall %s cpu %s | %s wall %s cpu %s | ratio %s/%s wall %.3f cpu %.3f\n",
		*label, *n, *aName, ms(aw), ms(ac), *bName, ms(bw), ms(bc), *aName, *bName,
		float64(aw)/float64(bw), float64(ac)/float64(bc))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/1e6) }

func run(argv []string, want string, timeout time.Duration) (sample, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if ctx.Err() != nil {
		return sample{}, fmt.Errorf("timed out after %s", timeout)
	}
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return sample{}, fmt.Errorf("exit %d; stderr: %s", ee.ExitCode(), firstLine(errb.String()))
		}
		return sample{}, err
	}
	if !bytes.Contains(out.Bytes(), []byte(want)) {
		return sample{}, fmt.Errorf("stdout (%d bytes) lacks %q", out.Len(), want)
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return sample{}, errors.New("no rusage")
	}
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return sample{wall, cpu}, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

func medians(s []sample) (wall, cpu time.Duration) {
	w := make([]time.Duration, len(s))
	c := make([]time.Duration, len(s))
	for i, x := range s {
		w[i], c[i] = x.wall, x.cpu
	}
	slices.Sort(w)
	slices.Sort(c)
	return w[len(w)/2], c[len(c)/2]
}
