package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/imapprobe/imapprobe/internal/closedport"
	"github.com/imapprobe/imapprobe/internal/textreport"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/faults"
)

// fakePassword is the seeded password of every fake in these tests: a
// canary that no output may hold.
const fakePassword = "canary-batch-pw-7f3a9c"

// fake starts a fakeserver with alice/fakePassword and the given faults.
func fake(t *testing.T, specs ...string) *fakeserver.Server {
	t.Helper()
	opts := []fakeserver.Option{fakeserver.WithUser("alice", fakePassword)}
	for _, s := range specs {
		opts = append(opts, fakeserver.WithFaults(faults.MustParse(s)))
	}
	return fakeserver.New(t, opts...)
}

// caBundle writes the CA certificates of srvs into one PEM file.
func caBundle(t *testing.T, srvs ...*fakeserver.Server) string {
	t.Helper()
	var pem []byte
	for _, s := range srvs {
		pem = append(pem, s.CACertPEM()...)
	}
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, pem, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// refusedURL is an imaps URL on a loopback port nobody listens on.
func refusedURL(t *testing.T) string {
	t.Helper()
	addr, err := closedport.Addr()
	if err != nil {
		t.Fatal(err)
	}
	return "imaps://alice@" + addr + "/INBOX"
}

var pwEnv = map[string]string{"IMAPPROBE_PASSWORD": fakePassword}

// batchFixture is a healthy fake, one with an expired certificate and a
// refused port: exit codes 0, 4 and 3.
func batchFixture(t *testing.T) (ca string, urls []string) {
	ok, expired := fake(t), fake(t, "cert:expired")
	return caBundle(t, ok, expired), []string{ok.URL(), expired.URL(), refusedURL(t)}
}

func TestBatchTable(t *testing.T) {
	t.Parallel()
	ca, urls := batchFixture(t)
	r := invoke(append([]string{"--ca-file", ca, "--parallel", "2"}, urls...), pwEnv)
	if r.code != 4 || r.stderr != "" {
		t.Fatalf("exit %d, want 4 (the worst of 0, 4, 3); stderr %q\n%s", r.code, r.stderr, r.stdout)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	want := []string{
		`^TARGET +RES +STEP +CODE +TIME +EXIT$`,
		`^` + regexp.QuoteMeta(urls[0]) + ` \(TLS implicit\) +OK +\d+(µs|ms) +0$`,
		`^` + regexp.QuoteMeta(urls[1]) + ` \(TLS implicit\) +FAIL +tls +tls\.cert_expired +\d+(µs|ms) +4$`,
		`^` + regexp.QuoteMeta(urls[2]) + ` \(TLS implicit\) +FAIL +connect +tcp\.refused +\d+(µs|ms) +3$`,
		`^3 targets: 1 ok, 0 with warnings, 2 failed; exit 4$`,
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), r.stdout)
	}
	for i, w := range want {
		if !regexp.MustCompile(w).MatchString(lines[i]) {
			t.Errorf("line %d %q, want %s", i+1, lines[i], w)
		}
	}
}

func TestBatchJSONLines(t *testing.T) {
	t.Parallel()
	ca, urls := batchFixture(t)
	r := invoke(append([]string{"--ca-file", ca, "--json"}, urls...), pwEnv)
	if r.code != 4 {
		t.Fatalf("exit %d, want 4\n%s%s", r.code, r.stdout, r.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want one report per target:\n%s", len(lines), r.stdout)
	}
	wantCodes := []string{"", "tls.cert_expired", "tcp.refused"}
	wantExit := []int{0, 4, 3}
	for i, l := range lines {
		var doc struct {
			Schema string `json:"schema"`
			Target struct {
				Port int `json:"port"`
			} `json:"target"`
			Result struct {
				Code string `json:"code"`
			} `json:"result"`
			ExitCode int `json:"exit_code"`
		}
		if err := json.Unmarshal([]byte(l), &doc); err != nil {
			t.Fatalf("line %d is not JSON: %v\n%s", i+1, err, l)
		}
		if doc.Schema != "imapprobe/report/v1" || doc.Result.Code != wantCodes[i] || doc.ExitCode != wantExit[i] ||
			!strings.Contains(urls[i], fmt.Sprintf(":%d/", doc.Target.Port)) {
			t.Errorf("line %d: %+v, want code %q exit %d for %s (in the order given)", i+1, doc, wantCodes[i], wantExit[i], urls[i])
		}
	}
}

func TestTargetsFile(t *testing.T) {
	t.Parallel()
	ca, urls := batchFixture(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.txt")
	content := "# the fleet\n\n" + urls[0] + "\n   \n  # indented comment\n" + urls[1] + "\n"
	if err := os.WriteFile(good, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	r := invoke([]string{"--ca-file", ca, "--targets", good}, pwEnv)
	if r.code != 4 || strings.Count(r.stdout, "\n") != 4 {
		t.Errorf("exit %d, want 4 with a header, 2 rows and a total:\n%s%s", r.code, r.stdout, r.stderr)
	}
	// a single URL in a file is still a batch: a table, not a report
	one := filepath.Join(dir, "one.txt")
	if err := os.WriteFile(one, []byte(urls[0]+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := invoke([]string{"--ca-file", ca, "--targets", one}, pwEnv); r.code != 0 || !strings.HasPrefix(r.stdout, "TARGET ") {
		t.Errorf("exit %d, want 0 and a table:\n%s%s", r.code, r.stdout, r.stderr)
	}

	bad := filepath.Join(dir, "bad.txt")
	if err := os.WriteFile(bad, []byte("# ok so far\n"+urls[0]+"\n\nimaps:/mail.example.com\n"+urls[1]+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.txt")
	if err := os.WriteFile(empty, []byte("# nothing\n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"bad line", []string{"--targets", bad}, bad + `:4: "imaps:/mail.example.com" lacks the // after the scheme: write "imaps://mail.example.com"`},
		{"missing file", []string{"--targets", bad + "x"}, "cannot read --targets: open " + bad + "x: no such file or directory"},
		{"empty", []string{"--targets", empty}, "--targets " + empty + " holds no URL"},
		{"both on stdin", []string{"--targets", "-", "--password-file", "-"}, "--targets - and --password-file - both want standard input"},
		{"url and host", []string{urls[0], urls[1], "--host", "x"}, "give either a URL or --host, not both"},
		{"parallel", []string{"--parallel", "0", urls[0]}, "--parallel 0: want 1 to 1024"},
		{"format", []string{"--format", "xml", urls[0]}, `--format "xml": use text or nagios`},
		{"interval alone", []string{"--interval", "1s", urls[0]}, "--interval goes with --wait DURATION"},
		{"4 and 6", []string{"-4", "-6", urls[0]}, "-4 and -6 exclude each other"},
		{"empty url", []string{urls[0], ""}, `"" is not a URL`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			for _, asJSON := range []bool{false, true} {
				args := c.args
				if asJSON {
					args = append([]string{"--json"}, args...)
				}
				checkUsageError(t, invoke(args, pwEnv), asJSON, c.want)
			}
		})
	}
}

// TestBatchProgress: a live done/total line on a terminal's stderr, erased
// at the end; nothing at all off a terminal.
func TestBatchProgress(t *testing.T) {
	ca, urls := batchFixture(t)
	args := append([]string{"--ca-file", ca, "--parallel", "1"}, urls...)
	var out, errOut bytes.Buffer
	env := func(k string) string {
		return map[string]string{"IMAPPROBE_PASSWORD": fakePassword, "LANG": "C.UTF-8"}[k]
	}
	if code := run(args, env, strings.NewReader(""), &out, &errOut); code != 4 || errOut.Len() != 0 {
		t.Fatalf("off a terminal: exit %d, stderr %q, want 4 and nothing", code, errOut.String())
	}
	m, tty := openPTY(t)
	got := drain(m)
	out.Reset()
	if code := run(args, env, strings.NewReader(""), &out, tty); code != 4 {
		t.Fatalf("exit %d\n%s", code, out.String())
	}
	// the clear after the last count too: the PTY may deliver it later
	seen := got.WaitFor(t, "3/3 done, 2 failed\r\x1b[K")
	// with --parallel 1 every count is drawn (the first finish may share a 50 ms frame with the start)
	for _, w := range []string{"\r\x1b[Kimapprobe: 0/3 done, 0 failed", "\r\x1b[Kimapprobe: 3/3 done, 2 failed\r\x1b[K"} {
		if !strings.Contains(seen, w) {
			t.Errorf("terminal got %q, want it to hold %q", seen, w)
		}
	}
	if strings.Contains(seen, fakePassword) || strings.Contains(out.String(), fakePassword) {
		t.Error("the password reached the output")
	}
	if !strings.HasPrefix(out.String(), "TARGET ") {
		t.Errorf("stdout %q, want the table", out.String())
	}
}

// TestREADMEDocumentsPipelineFlags: every pipeline flag is in the README,
// and the README's sample table has the columns writeTable prints.
func TestREADMEDocumentsPipelineFlags(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("batch.go")
	if err != nil {
		t.Fatal(err)
	}
	flags := regexp.MustCompile(`fs\.\w+Var\(&p\.\w+, "([\w-]+)"`).FindAllStringSubmatch(string(src), -1)
	if len(flags) < 11 {
		t.Fatalf("found %d pipeline flags in batch.go", len(flags))
	}
	for _, f := range flags {
		if !strings.Contains(string(readme), "`"+dashes(f[1])) {
			t.Errorf("README.md does not document %s", dashes(f[1]))
		}
	}
	var buf bytes.Buffer
	writeTable(&buf, nil, textreport.Style{}, 0)
	header := regexp.MustCompile(` +`).ReplaceAllString(strings.SplitN(buf.String(), "\n", 2)[0], " ")
	if !regexp.MustCompile(`(?m)^    ` + strings.ReplaceAll(header, " ", " +") + `$`).Match(readme) {
		t.Errorf("README.md has no sample table with the header %q", header)
	}
}

// schemeColon is an IMAP scheme's colon at the start of a line, with no
// // after it.
var schemeColon = regexp.MustCompile(`(?im)^(\s*imaps?):`)

// FuzzTargetsFile: any --targets content either parses into URLs or is
// refused with one line naming FILE:LINE; it never panics, and never
// quotes a password written into a URL (USER:PASSWORD@).
func FuzzTargetsFile(f *testing.F) {
	f.Add("# fleet\n\nimaps://alice@mail.example.com/INBOX\n")
	f.Add("imaps:/alice:hunter2@host\n")
	f.Add("imap://bob@[::1]:143/Archive\r\n  # x\n")
	f.Add("\xff\xfe\n")
	f.Fuzz(func(t *testing.T, content string) {
		path := filepath.Join(t.TempDir(), "t.txt")
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		r := invoke([]string{"--targets", path, "--quit-after", "resolve", "--connect-addr", "192.0.2.1", "--timeout", "1ms", "--total-timeout", "1ms"}, nil)
		if r.code != 2 {
			return // parsed: the probes ran (and failed fast or passed)
		}
		line := strings.TrimSuffix(r.stderr, "\n")
		if strings.Contains(line, "\n") || !strings.HasPrefix(line, "imapprobe: ") {
			t.Fatalf("stderr %q, want one line", r.stderr)
		}
		// "imap:hunter2@host" names the user hunter2 (a missing //, which
		// the hint may quote); a password needs a ':' of its own.
		if strings.Contains(schemeColon.ReplaceAllString(content, "$1"), ":hunter2@") && strings.Contains(r.stderr+r.stdout, "hunter2") {
			t.Fatalf("output quotes the password: %q", r.stderr)
		}
	})
}
