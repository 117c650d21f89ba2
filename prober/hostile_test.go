package prober

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	pt "github.com/imapprobe/imapprobe/prober/probertest"
)

// flood writes prefix, then endless copies of filler until the peer leaves.
func flood(w io.Writer, prefix string, filler byte) {
	if _, err := io.WriteString(w, prefix); err != nil {
		return
	}
	chunk := []byte(strings.Repeat(string(filler), 64<<10))
	for {
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
}

const hostileStep = time.Second

// hostileCases are servers that try to hang the prober or exhaust its memory.
var hostileCases = map[string]struct {
	step, code string
	server     func(t *testing.T) *pt.Server
	mode       TLSMode
}{
	"silent": {StepGreeting, "greeting.timeout", func(t *testing.T) *pt.Server { return &pt.Server{Raw: pt.Silent} }, TLSNone},
	"endless greeting line": {StepGreeting, "greeting.malformed", func(t *testing.T) *pt.Server {
		return &pt.Server{Raw: func(c net.Conn) { flood(c, "* OK ", 'a') }}
	}, TLSNone},
	"1 GiB literal in greeting": {StepGreeting, "greeting.malformed", func(t *testing.T) *pt.Server {
		return &pt.Server{Raw: func(c net.Conn) { flood(c, "* OK {1073741824}\r\n", 'z') }}
	}, TLSNone},
	"endless LIST line": {StepList, "list.malformed", func(t *testing.T) *pt.Server {
		return &pt.Server{Pass: testPass, Implicit: goodTLS(t), Handlers: map[string]pt.Handler{
			"LIST": func(c *pt.Conv, tag, _ string) bool { flood(connOf(c), `* LIST () "/" `, 'b'); return false }}}
	}, TLSImplicit},
	"1 GiB literal in FETCH": {StepFetch, "fetch.malformed", func(t *testing.T) *pt.Server {
		return &pt.Server{Pass: testPass, Implicit: goodTLS(t), Handlers: map[string]pt.Handler{
			"FETCH": func(c *pt.Conv, tag, _ string) bool {
				flood(connOf(c), "* 1 FETCH (UID 7 RFC822.SIZE 1073741824 BODY[]<0> {1073741824}\r\n", 'm')
				return false
			}}}
	}, TLSImplicit},
	"silent after FETCH": {StepFetch, "fetch.timeout", func(t *testing.T) *pt.Server {
		return &pt.Server{Pass: testPass, Implicit: goodTLS(t), Handlers: map[string]pt.Handler{"FETCH": pt.Stall}}
	}, TLSImplicit},
}

// connOf gives a handler raw write access to its connection.
func connOf(c *pt.Conv) io.Writer { return c.Writer() }

// TestHostileServers runs each case in a child process, so that its memory
// can be measured alone: a diagnosis must come within the step deadline
// plus 1 s, with a heap under 64 MiB.
func TestHostileServers(t *testing.T) {
	t.Parallel()
	if os.Getenv("PROBER_HOSTILE_CASE") != "" {
		t.Skip("in a child")
	}
	for name, hc := range hostileCases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(os.Args[0], "-test.run=^TestHostileChild$", "-test.count=1", "-test.v")
			cmd.Env = append(os.Environ(), "PROBER_HOSTILE_CASE="+name)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("child: %v\n%s", err, out)
			}
			res := map[string]string{}
			for _, line := range strings.Split(string(out), "\n") {
				if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "RESULT "); ok {
					for _, kv := range strings.Fields(rest) {
						k, v, _ := strings.Cut(kv, "=")
						res[k] = v
					}
				}
			}
			if res["step"] != hc.step || res["code"] != hc.code {
				t.Fatalf("got %s/%s, want %s/%s\n%s", res["step"], res["code"], hc.step, hc.code, out)
			}
			took, _ := time.ParseDuration(res["took"])
			if took > hostileStep+time.Second {
				t.Errorf("diagnosis took %s, over the %s step deadline plus 1 s", took, hostileStep)
			}
			heap, _ := strconv.ParseInt(res["peakheap"], 10, 64)
			if heap <= 0 || heap > 64<<20 {
				t.Errorf("peak heap %d bytes, want under 64 MiB", heap)
			}
			allocated, _ := strconv.ParseInt(res["allocated"], 10, 64)
			if allocated <= 0 || allocated > 64<<20 {
				t.Errorf("allocated %d bytes during the probe, want under 64 MiB", allocated)
			}
			rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10
			t.Logf("took %s, peak heap %.1f MiB, allocated %.1f MiB, max RSS %.1f MiB (race detector: %v)",
				took, float64(heap)/(1<<20), float64(allocated)/(1<<20), float64(rss)/(1<<20), raceEnabled)
			if rss > 64<<20 {
				t.Errorf("max RSS %d bytes, want under 64 MiB", rss)
			}
		})
	}
}

// TestHostileChild is the child half of TestHostileServers.
func TestHostileChild(t *testing.T) {
	name := os.Getenv("PROBER_HOSTILE_CASE")
	if name == "" {
		t.Skip("run by TestHostileServers")
	}
	hc, ok := hostileCases[name]
	if !ok {
		t.Fatalf("unknown case %q", name)
	}
	srv := hc.server(t).Start(t)
	var (
		mu   sync.Mutex
		peak uint64
	)
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			mu.Lock()
			peak = max(peak, m.HeapInuse)
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	o := baseOptions(t)
	o.StepTimeout = hostileStep
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	began := time.Now()
	r := Probe(context.Background(), target(srv, hc.mode), o)
	took := time.Since(began)
	close(stop)
	<-sampled
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	step, code := r.Failure()
	mu.Lock()
	defer mu.Unlock()
	fmt.Printf("RESULT step=%s code=%s took=%s peakheap=%d allocated=%d\n", step, code, took, peak, after.TotalAlloc-before.TotalAlloc)
}
