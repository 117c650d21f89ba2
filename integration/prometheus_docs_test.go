package integration

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/imapprobe/imapprobe/exporter"
)

const promDocs = "../docs/prometheus"

// TestPromtoolChecksDocs: docs/prometheus's alert rules and prometheus.yml
// pass promtool, as Prometheus would load them.
func TestPromtoolChecksDocs(t *testing.T) {
	t.Parallel()
	promtool := needPrometheus(t, "promtool")
	for _, c := range []struct{ args, want []string }{
		{[]string{"check", "rules", "alerts.yml"}, []string{"SUCCESS: 7 rules found"}},
		{[]string{"check", "config", "prometheus.yml"}, []string{"SUCCESS: 1 rule files found", "SUCCESS: prometheus.yml is valid prometheus config file syntax"}},
	} {
		cmd := exec.Command(promtool, c.args...)
		cmd.Dir = promDocs
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(c.args, " "), err, out)
		}
		for _, w := range c.want {
			if !strings.Contains(string(out), w) {
				t.Errorf("promtool %s: no %q in\n%s", strings.Join(c.args, " "), w, out)
			}
		}
	}
}

// TestPrometheusDocsMetricNames: every metric the sample files use is one
// README.md's metric table documents (so one the exporter emits: see
// exporter's TestREADMEMetrics), and the dashboard uses each per-probe one.
func TestPrometheusDocsMetricNames(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, _ := strings.Cut(string(readme), "<!-- metrics:begin -->")
	table, _, _ = strings.Cut(table, "<!-- metrics:end -->")
	name := regexp.MustCompile(`\b(?:probe|imapprobe)_[a-z_]+\b`)
	documented := name.FindAllString(table, -1)
	if len(documented) < 10 {
		t.Fatalf("README.md's metric table lists %d metrics", len(documented))
	}
	used := map[string][]string{}
	for _, f := range []string{"alerts.yml", "prometheus.yml", "grafana-dashboard.json", "kubernetes.yaml"} {
		b, err := os.ReadFile(filepath.Join(promDocs, f))
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range name.FindAllString(string(b), -1) {
			used[n] = append(used[n], f)
		}
		if f == "grafana-dashboard.json" {
			for _, want := range documented {
				if !strings.Contains(want, "_exporter_") && !strings.Contains(string(b), want) {
					t.Errorf("the dashboard does not show %s", want)
				}
			}
		}
	}
	for n, files := range used {
		if !slices.Contains(documented, n) && n != "imapprobe_exporter" {
			t.Errorf("%s (in %s) is not a documented metric", n, strings.Join(slices.Compact(files), ", "))
		}
	}
}

// TestKubernetesManifest: the manifest's documents are a ConfigMap, a
// Deployment and a Service, and the ConfigMap's imapprobe.yml loads.
func TestKubernetesManifest(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join(promDocs, "kubernetes.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var kinds []string
	for {
		var doc struct {
			Kind string            `yaml:"kind"`
			Data map[string]string `yaml:"data"`
		}
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, doc.Kind)
		if cfg, ok := doc.Data["imapprobe.yml"]; ok {
			pw := filepath.Join(t.TempDir(), "password")
			if err := os.WriteFile(pw, []byte("x\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg = strings.ReplaceAll(cfg, "/secrets/imap/password", pw)
			c, err := exporter.ParseConfig(strings.NewReader(cfg), os.Getenv)
			if err != nil {
				t.Errorf("the ConfigMap's imapprobe.yml: %v", err)
			} else if got := strings.Join(c.ModuleNames(), ","); got != "default,tls_only" {
				t.Errorf("modules %s, want default,tls_only (as prometheus.yml uses)", got)
			}
		}
	}
	if got := strings.Join(kinds, ","); got != "ConfigMap,Deployment,Service" {
		t.Errorf("kinds %s", got)
	}
}
