package integration

import (
	"context"
	"fmt"
	"net"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/faults"
	"github.com/imapprobe/imapprobe/prober"
)

// Issue 8: every fault example in README.md and in fakeimapd's --help
// fires against a default probe, and gives the diagnosis it claims.
//
// An example is a quoted fault spec ('...', "..." or `...`), or a quoted
// JSON fault or list, on a line that ends in a claim: a comment holding
// "-> CODE[, CODE...]" (the probe's diagnosis codes, warnings included,
// in report order) or "-> ok" (no code). A line's faults run together. The
// extraction is strict: any text that looks like a fault (KIND: or
// "kind":) and is not inside a quoted example that parses fails the test,
// so an example cannot slip past it. The README's fault-grammar block
// holds forms, not examples, and is skipped. The --help examples must be
// README examples too; they take their claim from there.

// docExample is one line of documentation that sets faults.
type docExample struct {
	where string   // file:line
	specs []string // the quoted faults as written
	claim []string // the claimed codes; empty for "ok"
}

var (
	faultLike = regexp.MustCompile(`\b(` + strings.Join(faults.Kinds(), "|") + `):|"kind"\s*:`)
	claimRe   = regexp.MustCompile(`(?:#|//).*->\s*(ok|[a-z]+\.[a-z_]+(?:, [a-z]+\.[a-z_]+)*)\s*$`)
	specStart = regexp.MustCompile(`^(` + strings.Join(faults.Kinds(), "|") + `):`)
)

func TestFaultExamples(t *testing.T) {
	t.Parallel()
	readme := readmeExamples(t)
	help := helpExamples(t)
	if t.Failed() {
		return
	}
	// Every kind has an example, but starttls: a default probe uses
	// implicit TLS, where STARTTLS faults cannot act; and idle: a probe
	// never sends IDLE (docs/state-faults.md shows it instead).
	seen := map[string]bool{}
	bySpec := map[string]docExample{}
	for _, ex := range readme {
		for _, s := range ex.specs {
			f, _ := faultsOf(s)
			for _, flt := range f {
				seen[flt.Kind()] = true
			}
		}
		if len(ex.specs) == 1 {
			bySpec[ex.specs[0]] = ex
		}
	}
	for _, k := range faults.Kinds() {
		if !seen[k] && k != "starttls" && k != "idle" {
			t.Errorf("README.md has no example of a %s fault", k)
		}
	}
	for _, h := range help {
		if _, ok := bySpec[h.specs[0]]; !ok {
			t.Errorf("%s: --help example %q is not a README example (a line of its own, with its claim); add it to README's Faults section", h.where, h.specs[0])
		}
	}

	results := runExamples(readme)
	for i, ex := range readme {
		t.Run(ex.where, func(t *testing.T) {
			r := results[i]
			if r.err != nil {
				t.Fatal(r.err)
			}
			if !slices.Equal(r.codes, ex.claim) {
				t.Errorf("%s with %q: a default probe gives %s, the line claims %s",
					ex.where, ex.specs, codeList(r.codes), codeList(ex.claim))
			}
			for _, spec := range r.specs {
				if !r.fired[spec] {
					t.Errorf("%s: fault %q never fired against a default probe (fired: %v)", ex.where, spec, r.fired)
				}
			}
		})
	}
}

// readmeExamples extracts the examples of README.md.
func readmeExamples(t *testing.T) []docExample {
	t.Helper()
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var out []docExample
	grammar := false
	for n, line := range strings.Split(string(data), "\n") {
		switch strings.TrimSpace(line) {
		case "<!-- fault-grammar -->":
			grammar = true
		case "<!-- /fault-grammar -->":
			grammar = false
		}
		if grammar {
			continue
		}
		ex, ok, err := lineExample(fmt.Sprintf("README.md:%d", n+1), line, true)
		if err != nil {
			t.Error(err)
		} else if ok {
			out = append(out, ex)
		}
	}
	if grammar {
		t.Error("README.md: <!-- fault-grammar --> is never closed")
	}
	if len(out) < 40 {
		t.Errorf("found %d fault examples in README.md; the extraction or the Faults section broke", len(out))
	}
	return out
}

// helpExamples extracts the examples of fakeimapd's usage text, the const
// usage in cmd/fakeimapd/flags.go.
func helpExamples(t *testing.T) []docExample {
	t.Helper()
	const path = "../cmd/fakeimapd/flags.go"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)\nconst usage = `(.*?)`").FindStringSubmatchIndex(string(data))
	if m == nil {
		t.Fatalf("%s: no const usage = `...`; the test must find fakeimapd's help text", path)
	}
	first := strings.Count(string(data[:m[2]]), "\n") + 1
	var out []docExample
	for n, line := range strings.Split(string(data[m[2]:m[3]]), "\n") {
		ex, ok, err := lineExample(fmt.Sprintf("%s:%d", path, first+n), line, false)
		if err != nil {
			t.Error(err)
		} else if ok {
			if len(ex.specs) != 1 {
				t.Errorf("%s: want one fault example a line, got %q", ex.where, ex.specs)
				continue
			}
			out = append(out, ex)
		}
	}
	if len(out) == 0 {
		t.Errorf("%s: no fault example in the usage text; the extraction broke", path)
	}
	return out
}

// lineExample reads the example on one line, if the line looks like it
// holds a fault (found). Every fault-like text must be inside a quoted
// example that parses, and, if needClaim, the line must end in a claim.
func lineExample(where, line string, needClaim bool) (ex docExample, found bool, err error) {
	loose := faultLike.FindAllStringIndex(line, -1)
	if loose == nil {
		return docExample{}, false, nil
	}
	ex.where = where
	var covered [][2]int
	for _, sp := range quotedSpans(line, 0) {
		if _, err := faultsOf(sp.text); err != nil {
			return ex, true, fmt.Errorf("%s: example %q: %v", where, sp.text, err)
		}
		ex.specs = append(ex.specs, sp.text)
		covered = append(covered, [2]int{sp.start, sp.end})
	}
	for _, l := range loose {
		if !slices.ContainsFunc(covered, func(c [2]int) bool { return c[0] <= l[0] && l[1] <= c[1] }) {
			return ex, true, fmt.Errorf("%s: %q looks like a fault but is not a quoted example the test can read: %s",
				where, line[l[0]:l[1]], line)
		}
	}
	if !needClaim {
		return ex, true, nil
	}
	m := claimRe.FindStringSubmatch(line)
	if m == nil {
		return ex, true, fmt.Errorf("%s: fault example without a claim; end the line with a comment \"-> CODE\" or \"-> ok\": %s", where, line)
	}
	if m[1] != "ok" {
		ex.claim = strings.Split(m[1], ", ")
	}
	return ex, true, nil
}

type span struct {
	start, end int
	text       string
}

// quotedSpans returns the outermost quoted texts in s that hold faults,
// looking inside quoted texts that do not (`--fault 'x'`).
func quotedSpans(s string, offset int) []span {
	var out []span
	for i := 0; i < len(s); i++ {
		q := s[i]
		if q != '\'' && q != '"' && q != '`' {
			continue
		}
		end := -1
		for j := i + 1; j < len(s); j++ {
			if q == '"' && s[j] == '\\' {
				j++
				continue
			}
			if s[j] == q {
				end = j
				break
			}
		}
		if end < 0 {
			return out
		}
		text := s[i+1 : end]
		if q == '"' {
			if u, err := strconv.Unquote(s[i : end+1]); err == nil {
				text = u
			}
		}
		switch {
		case specStart.MatchString(text) || strings.HasPrefix(text, "[") || strings.HasPrefix(text, "{"):
			out = append(out, span{offset + i, offset + end + 1, text})
		default:
			out = append(out, quotedSpans(text, offset+i+1)...)
		}
		i = end
	}
	return out
}

// faultsOf reads one quoted example: a spec, a JSON fault or a JSON list.
func faultsOf(text string) (faults.Set, error) {
	switch {
	case specStart.MatchString(text):
		f, err := faults.Parse(text)
		return faults.Set{f}, err
	case strings.HasPrefix(text, "{") && !strings.HasPrefix(text, `{"faults"`):
		f, err := faults.Unmarshal([]byte(text))
		return faults.Set{f}, err
	}
	return faults.Decode(strings.NewReader(text))
}

type exampleResult struct {
	codes []string
	specs []string        // every fault's Spec()
	fired map[string]bool // by Spec()
	err   error
}

// runExamples probes a fake with each example's faults, a few at a time:
// most wait on delays and timeouts, not the CPU.
func runExamples(examples []docExample) []exampleResult {
	results := make([]exampleResult, len(examples))
	sem := make(chan struct{}, 6)
	var wg sync.WaitGroup
	for i, ex := range examples {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = runExample(ex)
		}()
	}
	wg.Wait()
	return results
}

// runExample probes, as a default imapprobe run does, a default fake with
// the example's faults: only the user, password and CA come from the fake.
func runExample(ex docExample) exampleResult {
	var set faults.Set
	for _, s := range ex.specs {
		f, err := faultsOf(s)
		if err != nil {
			return exampleResult{err: err}
		}
		set = append(set, f...)
	}
	srv, err := fakeserver.Start(fakeserver.WithFaults(set...))
	if err != nil {
		return exampleResult{err: err}
	}
	defer srv.Close()
	user, password := srv.User()
	host, portStr, err := net.SplitHostPort(srv.Addr())
	if err != nil {
		return exampleResult{err: err}
	}
	port, _ := strconv.Atoi(portStr)
	ctx, cancel := context.WithTimeout(context.Background(), 2*prober.DefaultTimeout)
	defer cancel()
	rep := prober.Probe(ctx, prober.Target{Host: host, Port: port, User: user},
		prober.Options{Password: password, RootCAs: srv.CAPool()})
	var codes []string
	for _, c := range rep.Codes() {
		codes = append(codes, string(c))
	}
	r := exampleResult{codes: codes, specs: set.Specs(), fired: map[string]bool{}}
	// The server records a fault when it acts; give the last connection a
	// moment to finish recording after the probe hung up.
	deadline := time.Now().Add(2 * time.Second)
	for {
		for _, c := range srv.Connections() {
			for _, f := range c.Faults {
				r.fired[f.Spec] = true
			}
		}
		if len(r.fired) >= len(slices.Compact(slices.Sorted(slices.Values(r.specs)))) || time.Now().After(deadline) {
			return r
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func codeList(codes []string) string {
	if len(codes) == 0 {
		return "ok"
	}
	return strings.Join(codes, ", ")
}

// TestFaultExampleExtraction: the extraction finds what the docs hold, and
// refuses a fault it cannot read or a line without a claim.
func TestFaultExampleExtraction(t *testing.T) {
	t.Parallel()
	tests := []struct {
		line  string
		specs []string
		claim []string
		err   string // a substring of the error; "" for none
	}{
		{line: `    'delay:SELECT|EXAMINE=3s'   # a late reply -> mailbox.slow`,
			specs: []string{"delay:SELECT|EXAMINE=3s"}, claim: []string{"mailbox.slow"}},
		{line: `    '{"kind":"greeting","variant":"bye"}'  # as JSON -> greeting.bye`,
			specs: []string{`{"kind":"greeting","variant":"bye"}`}, claim: []string{"greeting.bye"}},
		{line: `	f, _ := faults.Parse("cert:expired") // -> tls.cert_expired`,
			specs: []string{"cert:expired"}, claim: []string{"tls.cert_expired"}},
		{line: `    curl -H "$H" --data '["drop:FETCH", {"kind":"cert","variant":"expired"}]' x  # add -> ok`,
			specs: []string{`["drop:FETCH", {"kind":"cert","variant":"expired"}]`}},
		{line: `        --fault 'delay:tls=3s' --fault 'cert:tls1.0'  # -> tls.slow, tls.weak_version`,
			specs: []string{"delay:tls=3s", "cert:tls1.0"}, claim: []string{"tls.slow", "tls.weak_version"}},
		{line: "Prose without faults: `--fault SPEC`, `SELECT|EXAMINE`."},
		{line: `    'cert:expired'   # no claim here`, err: "without a claim"},
		{line: `    'cert:expired'   # -> Expired`, err: "without a claim"},
		{line: "Prose that names `reply:SELECT=NO x` -> mailbox.not_found", err: "without a claim"},
		{line: `    delay:SELECT=2s   # unquoted -> mailbox.slow`, err: "not a quoted example"},
		{line: `    'cert:expired' and cert:expiring  # -> tls.cert_expired`, err: "not a quoted example"},
		{line: `    'cert:expird'   # -> tls.cert_expired`, err: `unknown cert variant "expird"`},
		{line: `    '[{"kind":"reply"}]'   # -> ok`, err: `missing "command", "reply"`},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			t.Parallel()
			ex, found, err := lineExample("x:1", tt.line, true)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error = %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if found != (tt.specs != nil) || !slices.Equal(ex.specs, tt.specs) || !slices.Equal(ex.claim, tt.claim) {
				t.Errorf("found %v, specs %q, claim %q; want specs %q, claim %q", found, ex.specs, ex.claim, tt.specs, tt.claim)
			}
		})
	}
}

// TestFaultExampleThatCannotFire: the run sees a fault that never fires,
// as "reply:SELECT=..." against a default probe (which sends EXAMINE) did
// in the README before issue 8.
func TestFaultExampleThatCannotFire(t *testing.T) {
	t.Parallel()
	r := runExample(docExample{specs: []string{"reply:SELECT=NO [NONEXISTENT] no such mailbox"}})
	if r.err != nil {
		t.Fatal(r.err)
	}
	if len(r.codes) != 0 || r.fired["reply:SELECT=NO [NONEXISTENT] no such mailbox"] {
		t.Errorf("codes %q, fired %v: want ok and not fired", r.codes, r.fired)
	}
	r = runExample(docExample{specs: []string{"reply:SELECT|EXAMINE=NO [NONEXISTENT] no such mailbox"}})
	if !slices.Equal(r.codes, []string{"mailbox.not_found"}) || !r.fired["reply:SELECT|EXAMINE=NO [NONEXISTENT] no such mailbox"] {
		t.Errorf("codes %q, fired %v: want mailbox.not_found, fired", r.codes, r.fired)
	}
}
