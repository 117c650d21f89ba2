package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/imapprobe/imapprobe/exporter"
	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/faults"
	"github.com/imapprobe/imapprobe/integration/realservers"
)

// needPrometheus returns the path of a Prometheus binary (prometheus or
// promtool); missing, the test skips saying how to install it, or fails
// under CI=true.
func needPrometheus(t *testing.T, bin string) string {
	t.Helper()
	path, err := exec.LookPath(bin)
	if err != nil {
		realservers.Need(t, &realservers.UnavailableError{
			What:  bin,
			HowTo: "apt-get install prometheus (Debian's package ships prometheus and promtool; as root on Debian, integration/realservers/setup.sh does it)",
		})
	}
	return path
}

// TestPrometheusScrapesExporter runs a real Prometheus, relabeled as for
// blackbox_exporter, against imapprobe's exporter and one fake whose LOGIN
// is refused: the module that authenticates with AUTHENTICATE PLAIN
// passes, the one that uses LOGIN fails with auth.failed, and Prometheus's
// HTTP API says so.
func TestPrometheusScrapesExporter(t *testing.T) {
	t.Parallel()
	prom := needPrometheus(t, "prometheus")
	const password = "canary-Prom-5d1e2f3a-do-not-print"
	srv := fakeserver.New(t, fakeserver.WithUser("alice", password),
		fakeserver.WithFaults(faults.MustParse("reply:LOGIN=NO [AUTHENTICATIONFAILED] nope")))
	dir := t.TempDir()
	write := func(name, content string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("ca.pem", string(srv.CACertPEM()))
	write("pw", password+"\n")
	cfg := write("imapprobe.yml", strings.ReplaceAll(`
modules:
  healthy:
    tls: implicit
    auth: plain
    ca_file: DIR/ca.pem
    password_file: DIR/pw
  faulted:
    tls: implicit
    auth: login
    ca_file: DIR/ca.pem
    password_file: DIR/pw
`, "DIR", dir))
	var log bytes.Buffer
	e, err := exporter.New(exporter.Options{ConfigFile: cfg})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: e.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })

	promAddr := freeAddr(t)
	job := func(name string) string {
		return fmt.Sprintf(`
  - job_name: imap_%[1]s
    metrics_path: /probe
    params:
      module: [%[1]s]
    static_configs:
      - targets: [%[2]q]
    relabel_configs:
      - source_labels: [__address__]
        target_label: __param_target
      - source_labels: [__param_target]
        target_label: instance
      - target_label: __address__
        replacement: %[3]s
`, name, srv.URL(), ln.Addr().String())
	}
	promCfg := write("prometheus.yml", "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:"+job("healthy")+job("faulted"))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, prom, "--config.file="+promCfg, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+promAddr, "--log.level=warn")
	cmd.Stdout, cmd.Stderr = &log, &log
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("prometheus said:\n%s", log.String())
		}
	})

	// query returns the instant vector for q once it has want series.
	query := func(q string, want int) []promSample {
		t.Helper()
		var last string
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			got, raw, err := promQuery(ctx, promAddr, q)
			last = raw
			if err == nil && len(got) == want {
				return got
			}
			if err != nil {
				last = err.Error()
			}
		}
		t.Fatalf("query %s: no %d series within 60 s; last answer: %s", q, want, last)
		return nil
	}
	for _, c := range []struct{ job, value string }{{"imap_healthy", "1"}, {"imap_faulted", "0"}} {
		got := query(`probe_success{job="`+c.job+`"}`, 1)
		if got[0].Value[1] != c.value || got[0].Metric["instance"] != srv.URL() {
			t.Errorf("%s: probe_success %v, want %s for instance %s", c.job, got[0], c.value, srv.URL())
		}
		if up := query(`up{job="`+c.job+`"}`, 1); up[0].Value[1] != "1" {
			t.Errorf("%s: up %v: the exporter's answer was not scraped", c.job, up[0])
		}
	}
	d := query(`imapprobe_diagnosis_info{job="imap_faulted"}`, 1)[0].Metric
	if d["code"] != "auth.failed" || d["step"] != "auth" || d["severity"] != "error" {
		t.Errorf("diagnosis series %v, want code auth.failed at step auth, severity error", d)
	}
	if got := query(`imapprobe_diagnosis_info{job="imap_healthy"}`, 0); len(got) != 0 {
		t.Errorf("the healthy module has diagnoses: %v", got)
	}
	if got := query(`imapprobe_step_success{job="imap_faulted",step=~"list|select|fetch|logout"}`, 0); len(got) != 0 {
		t.Errorf("steps after the failure say success: %v", got)
	}
	// nothing Prometheus stored names the password
	_, raw, err := promQuery(ctx, promAddr, `{job=~"imap_.*"}`)
	if err != nil || strings.Contains(raw, password) {
		t.Errorf("series: err %v, or the password is in them", err)
	}
}

// promSample is one series of an instant vector.
type promSample struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"` // [time, "value"]
}

// promQuery runs an instant query through Prometheus's HTTP API.
func promQuery(ctx context.Context, addr, q string) ([]promSample, string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", "http://"+addr+"/api/v1/query?"+url.Values{"query": {q}}.Encode(), nil)
	if err != nil {
		return nil, "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, "", err
	}
	var doc struct {
		Status string `json:"status"`
		Data   struct {
			Result []promSample `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(b, &doc); err != nil || doc.Status != "success" {
		return nil, string(b), fmt.Errorf("status %d: %s", resp.StatusCode, b)
	}
	for i := range doc.Data.Result {
		doc.Data.Result[i].Value[1] = fmt.Sprint(doc.Data.Result[i].Value[1])
	}
	return doc.Data.Result, string(b), nil
}

// freeAddr returns a loopback address no one listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
