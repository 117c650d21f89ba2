// Command curlvs runs two or more commands in turn N times each and prints
// the median wall time and CPU time (user+sys, from the child's rusage) of
// each, and each one's ratio to the last (the reference: curl). A run
// counts only when the command exits 0 and its standard output contains the
// wanted text; otherwise curlvs exits 1 without printing a figure, so a
// figure always means the work happened. Each round starts with the next
// command, so that none always follows another.
//
//	curlvs -n 31 -label fake -name imapprobe -want '; exit 0' -name curl -want 'Subject:' -- A ARGS... ::: B ARGS...
//
// A before/after run puts both builds in one run with the reference:
// -name new -want W -name old -want W -name curl -want W2 -- A ::: B ::: C.
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

// list is a repeatable string flag.
type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	n := flag.Int("n", 31, "runs of each command (interleaved)")
	label := flag.String("label", "", "name printed with the figures")
	var names, wants list
	flag.Var(&names, "name", "the next command's name in the output (repeat, in order)")
	flag.Var(&wants, "want", "text the next command's stdout must contain (repeat, in order)")
	timeout := flag.Duration("timeout", 20*time.Second, "limit for one run")
	flag.Parse()
	cmds := splitCommands(flag.Args())
	if len(cmds) < 2 || *n < 1 || len(names) != len(cmds) || len(wants) != len(cmds) {
		fmt.Fprintln(os.Stderr, "usage: curlvs [-n N] [-label L] -name A -want TEXT -name B -want TEXT ... -- A ARGS... ::: B ARGS... [::: ...] (one -name and -want per command, the reference last)")
		os.Exit(2)
	}
	samples := make([][]sample, len(cmds))
	for r := 0; r < *n; r++ {
		for k := range cmds {
			w := (r + k) % len(cmds)
			s, err := run(cmds[w], wants[w], *timeout)
			if err != nil {
				fmt.Fprintf(os.Stderr, "curlvs: %s run %d: %v\n", names[w], r+1, err)
				os.Exit(1)
			}
			samples[w] = append(samples[w], s)
		}
	}
	walls := make([]time.Duration, len(cmds))
	cpus := make([]time.Duration, len(cmds))
	var fig, ratio []string
	for w := range cmds {
		walls[w], cpus[w] = medians(samples[w])
		fig = append(fig, fmt.Sprintf("%s wall %s cpu %s", names[w], ms(walls[w]), ms(cpus[w])))
	}
	ref := len(cmds) - 1
	for w := 0; w < ref; w++ {
		ratio = append(ratio, fmt.Sprintf("ratio %s/%s wall %.3f cpu %.3f", names[w], names[ref],
			float64(walls[w])/float64(walls[ref]), float64(cpus[w])/float64(cpus[ref])))
	}
	fmt.Printf("%s: %d runs each, medians: %s | %s\n", *label, *n, strings.Join(fig, " | "), strings.Join(ratio, " | "))
}

// splitCommands cuts the arguments at each ":::".
func splitCommands(args []string) [][]string {
	var cmds [][]string
	for {
		i := slices.Index(args, ":::")
		if i < 0 {
			break
		}
		cmds = append(cmds, args[:i])
		args = args[i+1:]
	}
	cmds = append(cmds, args)
	for _, c := range cmds {
		if len(c) == 0 {
			return nil
		}
	}
	return cmds
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
