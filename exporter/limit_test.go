package exporter

import (
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// silentServer accepts connections and never says a word, so that a
// probe of it holds its slot until the module's timeout.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// TestLimit: one probe runs, one waits, a third is refused at once; the
// waiting one is refused when its deadline passes in the queue.
func TestLimit(t *testing.T) {
	t.Parallel()
	addr := silentServer(t)
	r := newRig(t, testCA(t), "modules:\n  default:\n    tls: none\n    quit_after: greeting\n    timeout: 2s\n", Options{MaxConcurrent: 1, MaxQueue: 1})
	waitMetric := func(line string) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			if _, body := r.get(t, "GET", "/metrics", nil); strings.Contains(body, "\n"+line+"\n") {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("no %q on /metrics", line)
			}
		}
	}
	type answer struct {
		code int
		body string
	}
	first, second := make(chan answer, 1), make(chan answer, 1)
	go func() {
		code, body := r.get(t, "GET", probePath(addr, "default"), nil)
		first <- answer{code, body}
	}()
	waitMetric("imapprobe_exporter_probes_in_flight 1")
	go func() {
		code, body := r.get(t, "GET", probePath(addr, "default"), http.Header{"X-Prometheus-Scrape-Timeout-Seconds": {"1"}})
		second <- answer{code, body}
	}()
	waitMetric("imapprobe_exporter_probes_queued 1")

	code, body := r.get(t, "GET", probePath(addr, "default"), nil)
	if want := "probe rejected: queue full: 1 probes running and 1 waiting (--max-concurrent 1, --max-queue 1)\n"; code != 503 || body != want {
		t.Errorf("third: %d %q, want 503 %q", code, body, want)
	}
	a := <-second
	if want := "probe rejected: deadline passed while queued: no slot of --max-concurrent 1 became free before the probe's deadline\n"; a.code != 503 || a.body != want {
		t.Errorf("second: %d %q, want 503 %q", a.code, a.body, want)
	}
	a = <-first
	if a.code != 200 || !strings.Contains(a.body, `imapprobe_diagnosis_info{code="greeting.timeout",severity="error",step="greeting"} 1`) {
		t.Errorf("first: %d\n%s", a.code, a.body)
	}
	_, metrics := r.get(t, "GET", "/metrics", nil)
	for _, line := range []string{
		`imapprobe_exporter_probes_rejected_total{reason="queue_full"} 1`,
		`imapprobe_exporter_probes_rejected_total{reason="queue_timeout"} 1`,
		`imapprobe_exporter_probes_total{module="default",result="failure"} 1`,
		"imapprobe_exporter_probes_in_flight 0",
		"imapprobe_exporter_probes_queued 0",
	} {
		if !strings.Contains(metrics, "\n"+line+"\n") {
			t.Errorf("/metrics lacks %s", line)
		}
	}
}
