package exporter

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/imapprobe/imapprobe/fakeserver"
)

// BenchmarkProbeHandler: full TLS probes (resolve to logout, password
// auth) through /probe against the fake, with client, exporter and fake in
// one process, reported as probes/s.
func BenchmarkProbeHandler(b *testing.B) {
	srv := fakeserver.New(b, fakeserver.WithUser(canaryUser, canaryPassword))
	r := newRig(b, srv.CACertPEM(), "modules:\n  default:\n    ca_file: $DIR/ca.pem\n    password_file: $DIR/pw\n", Options{MaxConcurrent: 256, MaxQueue: 4096})
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 512}}
	path := r.srv.URL + "/probe?" + url.Values{"target": {srv.URL()}, "module": {"default"}}.Encode()
	b.SetParallelism(benchParallelism)
	b.ResetTimer()
	began := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Get(path)
			if err != nil {
				b.Error(err)
				return
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !strings.Contains(string(body), "\nprobe_success 1\n") {
				b.Errorf("probe failed:\n%s", body)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(began).Seconds(), "probes/s")
}

// benchParallelism is goroutines per GOMAXPROCS scraping at once.
const benchParallelism = 16
