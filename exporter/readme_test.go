package exporter

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/faults"
)

// TestREADMEMetrics: README.md's metric table lists exactly the metrics
// the exporter emits (on /probe for a healthy and a faulted target, and on
// /metrics, besides go_* and process_*), each with exactly its labels.
func TestREADMEMetrics(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(readme), "<!-- metrics:begin -->\n")
	table, _, ok2 := strings.Cut(table, "<!-- metrics:end -->")
	if !ok || !ok2 {
		t.Fatal("README.md has no <!-- metrics:begin --> ... <!-- metrics:end --> block")
	}
	documented := map[string]string{} // name -> labels, comma-separated and sorted
	row := regexp.MustCompile("^\\| `([a-z_]+)` \\|\\s*([^|]*?)\\s*\\|")
	for _, l := range strings.Split(table, "\n") {
		if m := row.FindStringSubmatch(l); m != nil {
			documented[m[1]] = labelList(strings.ReplaceAll(strings.ReplaceAll(m[2], "`", ""), " ", ""))
		}
	}

	healthy := fakeserver.New(t, fakeserver.WithUser(canaryUser, canaryPassword))
	faulted := fakeserver.New(t, fakeserver.WithUser(canaryUser, canaryPassword),
		fakeserver.WithFaults(faults.MustParse("reply:LOGIN=NO [AUTHENTICATIONFAILED] nope")))
	r := newRig(t, append(healthy.CACertPEM(), faulted.CACertPEM()...), "modules:\n  default:\n    auth: login\n    ca_file: $DIR/ca.pem\n    password_file: $DIR/pw\n", Options{})
	emitted := map[string]string{}
	for _, path := range []string{probePath(healthy.URL(), "default"), probePath(faulted.URL(), "default"), "/metrics"} {
		_, body := r.get(t, "GET", path, nil)
		for name, labels := range seriesLabels(body) {
			if !strings.HasPrefix(name, "go_") && !strings.HasPrefix(name, "process_") {
				emitted[name] = labels
			}
		}
	}
	for name, labels := range emitted {
		if d, ok := documented[name]; !ok {
			t.Errorf("%s{%s} is emitted but not in README.md's metric table", name, labels)
		} else if d != labels {
			t.Errorf("%s: README.md says labels %q, the exporter has %q", name, d, labels)
		}
	}
	for name := range documented {
		if _, ok := emitted[name]; !ok {
			t.Errorf("README.md documents %s, which the exporter did not emit", name)
		}
	}
}

// seriesLabels maps each metric family in a text exposition to its label
// names (histogram suffixes and le folded into the family).
func seriesLabels(body string) map[string]string {
	out := map[string]string{}
	hist := map[string]bool{}
	for _, l := range strings.Split(body, "\n") {
		if f := strings.Fields(l); len(f) == 4 && f[1] == "TYPE" {
			out[f[2]] = ""
			hist[f[2]] = f[3] == "histogram"
		}
	}
	sample := regexp.MustCompile(`^([a-z_]+)(?:\{(.*)\})? `)
	key := regexp.MustCompile(`([a-z_]+)="`)
	for _, l := range strings.Split(body, "\n") {
		m := sample.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		name := m[1]
		for _, suf := range []string{"_bucket", "_sum", "_count"} {
			if base := strings.TrimSuffix(name, suf); base != name && hist[base] {
				name = base
			}
		}
		var keys []string
		for _, k := range key.FindAllStringSubmatch(m[2], -1) {
			if k[1] != "le" {
				keys = append(keys, k[1])
			}
		}
		out[name] = labelList(strings.Join(keys, ","))
	}
	return out
}

func labelList(s string) string {
	if s == "" {
		return ""
	}
	l := strings.Split(s, ",")
	slices.Sort(l)
	return strings.Join(slices.Compact(l), ",")
}
