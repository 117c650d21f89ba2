package scenarios_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/imapprobe/imapprobe/faults"
	"github.com/imapprobe/imapprobe/prober"
	"github.com/imapprobe/imapprobe/scenarios"
)

var update = flag.Bool("update", false, "rewrite docs/diagnoses.md")

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestMatrix runs every scenario: the real prober against the fake server
// over real sockets, in parallel.
func TestMatrix(t *testing.T) {
	t.Parallel()
	for _, sc := range scenarios.All() {
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			res, err := scenarios.Run(ctx, sc)
			if err != nil {
				t.Fatal(err)
			}
			want := scenarios.Outcome{Want: sc.Want, SkippedAfter: true}
			if diff := cmp.Diff(want, res.Got); diff != "" {
				t.Errorf("%s (%s): verdict mismatch (-want +got):\n%s\nsteps:\n%s", sc.Name, sc.Situation, diff, stepSummary(res.Report))
			}
			if !res.Match {
				t.Errorf("Match = false for an equal verdict")
			}
		})
	}
}

func stepSummary(r *prober.Report) string {
	var b bytes.Buffer
	for _, s := range r.Steps {
		b.WriteString("  " + s.Name + " " + string(s.Status))
		if s.Diagnosis != nil {
			b.WriteString(" " + string(s.Diagnosis.Code) + ": " + s.Diagnosis.Detail)
		}
		for _, w := range s.Warnings {
			b.WriteString(" [warn " + string(w.Code) + "]")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// TestCatalogCoverage is the reverse check: every catalog code is produced by
// a scenario or listed as unreproducible on loopback, never both.
func TestCatalogCoverage(t *testing.T) {
	t.Parallel()
	all := scenarios.All()
	verified := scenarios.Verifiers(all)
	known := map[prober.Code]bool{}
	for _, c := range prober.Catalog() {
		known[c.Code] = true
		_, produced := verified[c.Code]
		_, excused := scenarios.Unreproducible[c.Code]
		switch {
		case !produced && !excused:
			t.Errorf("code %s is produced by no scenario and not listed in Unreproducible", c.Code)
		case produced && excused:
			t.Errorf("code %s is produced by %v but also listed in Unreproducible", c.Code, verified[c.Code])
		}
	}
	for code := range verified {
		if !known[code] {
			t.Errorf("scenarios expect %s, which is not in prober.Catalog()", code)
		}
	}
	for code := range scenarios.Unreproducible {
		if !known[code] {
			t.Errorf("Unreproducible lists %s, which is not in prober.Catalog()", code)
		}
	}
	if n := len(all); n < 40 {
		t.Errorf("catalog has %d scenarios; want at least 40", n)
	}
}

// TestCatalogWellFormed checks names are unique and every fault spec parses.
func TestCatalogWellFormed(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	var healthy []string
	for _, sc := range scenarios.All() {
		if seen[sc.Name] {
			t.Errorf("duplicate scenario name %s", sc.Name)
		}
		seen[sc.Name] = true
		if sc.Situation == "" {
			t.Errorf("%s has no situation", sc.Name)
		}
		if _, err := faults.ParseAll(sc.Faults); err != nil {
			t.Errorf("%s: %v", sc.Name, err)
		}
		if (sc.Want.Code == scenarios.OK) != (sc.Want.Step == "") {
			t.Errorf("%s: want step %q with code %q", sc.Name, sc.Want.Step, sc.Want.Code)
		}
		if sc.Want.Code == scenarios.OK && len(sc.Want.Warnings) == 0 && len(sc.Faults) == 0 {
			healthy = append(healthy, sc.Name)
		}
	}
	sort.Strings(healthy)
	want := []string{"healthy-connection-only", "healthy-implicit-tls", "healthy-login", "healthy-oauthbearer", "healthy-plain", "healthy-plaintext-lab", "healthy-select", "healthy-starttls", "healthy-xoauth2"}
	if diff := cmp.Diff(want, healthy); diff != "" {
		t.Errorf("healthy controls (-want +got):\n%s", diff)
	}
}

// TestDiagnosesDoc fails when docs/diagnoses.md is out of date.
func TestDiagnosesDoc(t *testing.T) {
	t.Parallel()
	const path = "../docs/diagnoses.md"
	got := scenarios.DiagnosesMarkdown()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	have, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v; generate it with: go test ./scenarios -run TestDiagnosesDoc -update", err)
	}
	if !bytes.Equal(have, got) {
		t.Errorf("docs/diagnoses.md is out of date; regenerate with: go test ./scenarios -run TestDiagnosesDoc -update\n%s", cmp.Diff(string(have), string(got)))
	}

	const readmePath = "../README.md"
	readme, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	spliced, err := scenarios.SpliceReadme(readme)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(readmePath, spliced, 0o644); err != nil {
			t.Fatal(err)
		}
		readme = spliced
	}
	if !bytes.Equal(readme, spliced) {
		t.Errorf("README.md's list of codes is out of date; regenerate with: go test ./scenarios -run TestDiagnosesDoc -update\n%s", cmp.Diff(string(readme), string(spliced)))
	}
}

// TestMismatchIsReported proves the matrix can fail: a scenario whose
// expectation is wrong must not match, and the table must say so.
func TestMismatchIsReported(t *testing.T) {
	t.Parallel()
	sc, err := scenarios.Find("cert-expired")
	if err != nil {
		t.Fatal(err)
	}
	sc.Want = scenarios.Want{Step: "tls", Code: "tls.cert_self_signed"}
	res, err := scenarios.RunAll(context.Background(), []scenarios.Scenario{sc}, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Match {
		t.Fatal("a wrong expectation matched")
	}
	var b bytes.Buffer
	if n := scenarios.WriteTable(&b, res, "PASS", "FAIL"); n != 0 {
		t.Errorf("WriteTable counted %d matches, want 0", n)
	}
	for _, want := range []string{"cert-expired", "tls/tls.cert_self_signed", "tls/tls.cert_expired", "FAIL"} {
		if !bytes.Contains(b.Bytes(), []byte(want)) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
}
