package prober

import (
	"bufio"
	"cmp"
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
	step    string
	code    Code
	server  func(t *testing.T) *pt.Server
	mode    TLSMode
	opts    func(o *Options) // optional
	mailbox string           // optional: the mailbox to EXAMINE
	alloc   int64            // optional: bytes the probe may allocate (default 64 MiB)
}{
	"silent": {StepGreeting, "greeting.timeout", func(t *testing.T) *pt.Server { return &pt.Server{Raw: pt.Silent} }, TLSNone, nil, "", 0},
	"endless greeting line": {StepGreeting, "greeting.malformed", func(t *testing.T) *pt.Server {
		return &pt.Server{Raw: func(c net.Conn) { flood(c, "* OK ", 'a') }}
	}, TLSNone, nil, "", 0},
	"1 GiB literal in greeting": {StepGreeting, "greeting.malformed", func(t *testing.T) *pt.Server {
		return &pt.Server{Raw: func(c net.Conn) { flood(c, "* OK {1073741824}\r\n", 'z') }}
	}, TLSNone, nil, "", 0},
	"endless LIST line": {StepList, "list.malformed", func(t *testing.T) *pt.Server {
		return &pt.Server{Pass: testPass, Implicit: goodTLS(t), Handlers: map[string]pt.Handler{
			"LIST": func(c *pt.Conv, tag, _ string) bool { flood(connOf(c), `* LIST () "/" `, 'b'); return false }}}
	}, TLSImplicit, nil, "", 0},
	"1 GiB literal in FETCH": {StepFetch, "fetch.malformed", func(t *testing.T) *pt.Server {
		return &pt.Server{Pass: testPass, Implicit: goodTLS(t), Handlers: map[string]pt.Handler{
			"FETCH": func(c *pt.Conv, tag, _ string) bool {
				flood(connOf(c), "* 1 FETCH (UID 7 RFC822.SIZE 1073741824 BODY[]<0> {1073741824}\r\n", 'm')
				return false
			}}}
	}, TLSImplicit, nil, "", 0},
	"silent after FETCH": {StepFetch, "fetch.timeout", func(t *testing.T) *pt.Server {
		return &pt.Server{Pass: testPass, Implicit: goodTLS(t), Handlers: map[string]pt.Handler{"FETCH": pt.Stall}}
	}, TLSImplicit, nil, "", 0},
	// The error challenge and the tagged NO in one write: imapclient's
	// Authenticate waited forever on a continuation nothing cancelled.
	"OAUTHBEARER challenge and NO in one write": {StepAuth, "auth.token_rejected", func(t *testing.T) *pt.Server {
		return &pt.Server{Implicit: goodTLS(t), Caps: "IMAP4rev1 AUTH=OAUTHBEARER SASL-IR", Handlers: map[string]pt.Handler{
			"AUTHENTICATE": challengeAndNo}}
	}, TLSImplicit, tokenOnly, "", 0},
	"XOAUTH2 challenge and NO in one write": {StepAuth, "auth.token_rejected", func(t *testing.T) *pt.Server {
		return &pt.Server{Implicit: goodTLS(t), Caps: "IMAP4rev1 AUTH=XOAUTH2 SASL-IR", Handlers: map[string]pt.Handler{
			"AUTHENTICATE": challengeAndNo}}
	}, TLSImplicit, tokenOnly, "", 0},
	// The closest-name hint once ran an edit distance over every listed
	// name, however long: 3,000 names of 60 KB took 18.8 s and 498 MB.
	"30 mailbox names of 60 KB, then NO": {StepSelect, "mailbox.not_found", func(t *testing.T) *pt.Server {
		return &pt.Server{Pass: testPass, Implicit: goodTLS(t), Handlers: map[string]pt.Handler{
			"LIST": func(c *pt.Conv, tag, _ string) bool {
				w := bufio.NewWriterSize(connOf(c), 64<<10)
				for i := range 30 {
					fmt.Fprintf(w, "* LIST () \"/\" \"%s%d\"\r\n", strings.Repeat("n", 60<<10), i)
				}
				fmt.Fprintf(w, "%s OK done\r\n", tag)
				return w.Flush() == nil
			},
			"EXAMINE": pt.Answer("TAG NO Mailbox does not exist")}}
	}, TLSImplicit, func(o *Options) { o.StepTimeout = 8 * time.Second }, strings.Repeat("m", 60<<10), 1 << 30},
}

// challengeAndNo sends a base64 OAuth error challenge and the tagged NO at
// once, without waiting for the client's reply, then reads what is left.
func challengeAndNo(c *pt.Conv, tag, _ string) bool {
	_, _ = io.WriteString(connOf(c), "+ eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIn0=\r\n"+tag+" NO bad\r\n")
	for {
		if _, err := c.ReadLine(); err != nil {
			return false
		}
	}
}

func tokenOnly(o *Options) { o.Password, o.Token = "", "hostile-token-canary" }

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
			// bounded, so that a case that hangs fails instead of stalling the run
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHostileChild$", "-test.count=1", "-test.v")
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
			if res["step"] != hc.step || Code(res["code"]) != hc.code {
				t.Fatalf("got %s/%s, want %s/%s\n%s", res["step"], res["code"], hc.step, hc.code, out)
			}
			took, _ := time.ParseDuration(res["took"])
			if limit := stepOf(hc.opts) + time.Second; took > limit {
				t.Errorf("diagnosis took %s, over the step deadline plus 1 s (%s)", took, limit)
			}
			heap, _ := strconv.ParseInt(res["peakheap"], 10, 64)
			if heap <= 0 || heap > 64<<20 {
				t.Errorf("peak heap %d bytes, want under 64 MiB", heap)
			}
			allocated, _ := strconv.ParseInt(res["allocated"], 10, 64)
			if limit := cmp.Or(hc.alloc, 64<<20); allocated <= 0 || allocated > limit {
				t.Errorf("allocated %d bytes during the probe, want under %d MiB", allocated, limit>>20)
			}
			// The child reads its own peak RSS (VmHWM): the rusage of a
			// child started with vfork counts the parent's pages too.
			rss, _ := strconv.ParseInt(res["vmhwm"], 10, 64)
			t.Logf("took %s, peak heap %.1f MiB, allocated %.1f MiB, max RSS %.1f MiB (race detector: %v)",
				took, float64(heap)/(1<<20), float64(allocated)/(1<<20), float64(rss)/(1<<20), raceEnabled)
			if limit := maxHostileRSS(); rss <= 0 || rss > limit {
				t.Errorf("max RSS %d bytes, want under %d MiB", rss, limit>>20)
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
	if hc.opts != nil {
		hc.opts(&o)
	}
	tg := target(srv, hc.mode)
	if hc.mailbox != "" {
		tg.Mailbox = hc.mailbox
	}
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	began := time.Now()
	r := Probe(context.Background(), tg, o)
	took := time.Since(began)
	close(stop)
	<-sampled
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	step, code := r.Failure()
	if st := r.Step(step); st != nil {
		fmt.Printf("DETAIL %.300s\n", st.Diagnosis.Detail)
	}
	mu.Lock()
	defer mu.Unlock()
	fmt.Printf("RESULT step=%s code=%s took=%s peakheap=%d allocated=%d vmhwm=%d\n", step, code, took, peak, after.TotalAlloc-before.TotalAlloc, vmHWM(t))
}

// stepOf is the step deadline a case's options give.
func stepOf(opts func(*Options)) time.Duration {
	o := Options{StepTimeout: hostileStep}
	if opts != nil {
		opts(&o)
	}
	return o.StepTimeout
}

// maxHostileRSS is the peak RSS a child may reach: 64 MiB, or 192 MiB
// under the race detector, whose shadow memory alone is tens of MiB.
func maxHostileRSS() int64 {
	if raceEnabled {
		return 192 << 20
	}
	return 64 << 20
}

// vmHWM returns this process's peak resident set size in bytes.
func vmHWM(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/self/status")
	return 0
}
