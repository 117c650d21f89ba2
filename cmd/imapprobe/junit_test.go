package main

import (
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// xmllint finds xmllint, which the schema checks need: under CI=true its
// absence fails, elsewhere the test skips saying how to get it.
func xmllint(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("xmllint")
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("xmllint is missing: integration/realservers/setup.sh installs it (Debian package libxml2-utils)")
	}
	t.Skip("xmllint is missing: install it (Debian: apt-get install libxml2-utils) to validate JUnit output")
	return ""
}

// validate runs xmllint --schema testdata/junit.xsd on doc.
func validate(t *testing.T, lint, doc string) (string, error) {
	t.Helper()
	out, err := exec.Command(lint, "--noout", "--schema", filepath.Join("testdata", "junit.xsd"), doc).CombinedOutput()
	return string(out), err
}

// TestJUnit: --junit writes a document that validates against the JUnit
// schema, with one testsuite per target, one testcase per step, exact
// failure, skipped and pass counts, and no secret.
func TestJUnit(t *testing.T) {
	t.Parallel()
	lint := xmllint(t)
	ca, urls := batchFixture(t)
	path := filepath.Join(t.TempDir(), "report.xml")
	r := invoke(append([]string{"--ca-file", ca, "--junit", path, "--json"}, urls...), pwEnv)
	if r.code != 4 {
		t.Fatalf("exit %d, want 4\n%s%s", r.code, r.stdout, r.stderr)
	}
	if out, err := validate(t, lint, path); err != nil {
		t.Fatalf("the JUnit file does not validate: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), fakePassword) {
		t.Error("the JUnit file holds the password")
	}
	var doc junitSuites
	if err := xml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Suites) != 3 || doc.Tests != 33 || doc.Failures != 2 {
		t.Fatalf("%d suites, %d tests, %d failures; want 3, 33, 2", len(doc.Suites), doc.Tests, doc.Failures)
	}
	type counts struct{ tests, failures, skipped int }
	want := []counts{
		{11, 0, 1}, // starttls is not used with implicit TLS
		{11, 1, 8}, // tls fails: greeting..logout skipped
		{11, 1, 9}, // connect fails
	}
	for i, s := range doc.Suites {
		if got := (counts{s.Tests, s.Failures, s.Skipped}); got != want[i] || !strings.HasPrefix(s.Name, urls[i]) {
			t.Errorf("suite %d %q: %+v, want %+v for %s", i, s.Name, got, want[i], urls[i])
		}
		skipped := 0
		for _, c := range s.Cases {
			if c.Skipped != nil {
				skipped++
			}
		}
		if skipped != s.Skipped {
			t.Errorf("suite %d says skipped=%d but has %d <skipped/>", i, s.Skipped, skipped)
		}
	}
	tls := doc.Suites[1].Cases[2]
	if tls.Name != "tls" || tls.Failure == nil || tls.Failure.Type != "tls.cert_expired" ||
		tls.Failure.Message != "tls.cert_expired: the server certificate has expired" ||
		!strings.Contains(tls.Failure.Text, "\nfix: Renew the certificate") || !strings.Contains(tls.Failure.Text, "\ndetail: certificate expired ") {
		t.Errorf("tls testcase %+v, want the code, summary, detail and fix", tls)
	}
	if c := doc.Suites[2].Cases[1]; c.Name != "connect" || c.Failure == nil || c.Failure.Type != "tcp.refused" {
		t.Errorf("connect testcase %+v, want a tcp.refused failure", c)
	}

	// the check can fail: the same document without a required attribute does not validate
	broken := filepath.Join(t.TempDir(), "broken.xml")
	if err := os.WriteFile(broken, []byte(strings.Replace(string(raw), ` type="tls.cert_expired"`, "", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := validate(t, lint, broken); err == nil {
		t.Errorf("a failure without type validated:\n%s", out)
	}
}

// TestJUnitBadPath: an unwritable --junit is a usage error before any probe.
func TestJUnitBadPath(t *testing.T) {
	t.Parallel()
	srv := fake(t)
	r := invoke([]string{"--ca-file", caBundle(t, srv), "--junit", filepath.Join(t.TempDir(), "no", "such", "dir.xml"), srv.URL()}, pwEnv)
	checkUsageError(t, r, false, "cannot write --junit: open ")
	if n := len(srv.Connections()); n != 0 {
		t.Errorf("%d connections: the probe ran before the bad path was refused", n)
	}
}

// TestHTMLWithManyTargets: --html writes one report, so a batch or
// --all-addrs with it is a usage error before any probe; with --wait on
// one target it writes the last attempt's report.
func TestHTMLWithManyTargets(t *testing.T) {
	t.Parallel()
	srv := fake(t)
	ca := caBundle(t, srv)
	out := filepath.Join(t.TempDir(), "r.html")
	for _, extra := range [][]string{{srv.URL(), srv.URL()}, {"--all-addrs", srv.URL()}} {
		r := invoke(append([]string{"--ca-file", ca, "--html", out}, extra...), pwEnv)
		checkUsageError(t, r, false, "--html writes one report")
	}
	if n := len(srv.Connections()); n != 0 {
		t.Errorf("%d connections: a probe ran before the usage error", n)
	}
	r := invoke([]string{"--ca-file", ca, "--html", out, "--wait", "5s", "--interval", "100ms", srv.URL()}, pwEnv)
	if r.code != 0 {
		t.Fatalf("--wait --html: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil || !strings.Contains(string(b), "<html") {
		t.Fatalf("--wait --html wrote %d bytes, %v", len(b), err)
	}
}
