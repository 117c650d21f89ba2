package htmlreport_test

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/faults"
	"github.com/imapprobe/imapprobe/internal/htmlreport"
	"github.com/imapprobe/imapprobe/internal/redact"
	"github.com/imapprobe/imapprobe/internal/wiretap"
	"github.com/imapprobe/imapprobe/prober"
)

// canary is the password of the probed account: it must appear nowhere in
// the HTML.
const canary = "Canary-pw-7f3e9b1d"

// probeFake runs a real probe against the fake with the given fault and
// a canary password.
func probeFake(t *testing.T, spec string) *prober.Report {
	t.Helper()
	opts := []fakeserver.Option{fakeserver.WithUser("alice", canary)}
	if spec != "" {
		opts = append(opts, fakeserver.WithFaults(faults.MustParse(spec)))
	}
	srv := fakeserver.New(t, opts...)
	host, port, err := net.SplitHostPort(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	ctx, cancel := context.WithTimeout(t.Context(), prober.DefaultTimeout)
	defer cancel()
	return prober.Probe(ctx, prober.Target{Host: host, Port: p, User: "alice", TLS: prober.TLSImplicit},
		prober.Options{Password: canary, RootCAs: srv.CAPool()})
}

// page is a parsed report with the lookups the tests need.
type page struct{ root *html.Node }

func (p page) all(match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for n := range p.root.Descendants() {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
	}
	return out
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasClass(n *html.Node, c string) bool {
	return strings.Contains(" "+attr(n, "class")+" ", " "+c+" ")
}

func text(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return b.String()
}

// TestFailingReport renders a real failing probe and checks what a reader
// relies on: the diagnosis card's exact code, the failing step marked, one
// waterfall bar per performed step, the chain, the transcript colours, no
// script, no external resource and no password.
func TestFailingReport(t *testing.T) {
	t.Parallel()
	tests := []struct {
		spec, step string
		code       prober.Code
		chain      bool
	}{
		{"reply:LOGIN|AUTHENTICATE=NO [UNAVAILABLE] try later", "auth", "auth.unavailable", true},
		{"reply:EXAMINE=NO [NONEXISTENT] gone", "select", "mailbox.not_found", true},
		{"cert:expired", "tls", "tls.cert_expired", true},
	}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			t.Parallel()
			rep := probeFake(t, tc.spec)
			if step, code := rep.Failure(); step != tc.step || code != tc.code {
				t.Fatalf("probe failed at %s (%s), want %s (%s)", step, code, tc.step, tc.code)
			}
			var buf bytes.Buffer
			if err := htmlreport.Write(&buf, rep); err != nil {
				t.Fatal(err)
			}
			checkPage(t, buf.Bytes(), rep, tc.step, tc.code, tc.chain)
		})
	}
}

// checkPage asserts on a rendered failing report.
func checkPage(t *testing.T, doc []byte, rep *prober.Report, step string, code prober.Code, chain bool) {
	t.Helper()
	for _, enc := range redact.Encodings("alice", canary) { // as typed, base64, SASL payloads
		if bytes.Contains(doc, []byte(enc)) {
			t.Errorf("the HTML holds the password, as %q", enc)
		}
	}
	if bytes.Contains(bytes.ToLower(doc), []byte("<script")) {
		t.Errorf("the HTML holds a script")
	}
	root, err := html.Parse(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	p := page{root}
	external := regexp.MustCompile(`^\s*(?i:[a-z][a-z0-9+.-]*:|//)`) // any scheme, or protocol-relative
	for _, n := range p.all(func(*html.Node) bool { return true }) {
		for _, a := range n.Attr {
			if (a.Key == "href" || a.Key == "src" || a.Key == "srcset" || a.Key == "xlink:href" || a.Key == "action") && external.MatchString(a.Val) {
				t.Errorf("<%s %s=%q> points outside the file", n.Data, a.Key, a.Val)
			}
		}
		if n.Data == "link" || n.Data == "img" || n.Data == "iframe" || n.Data == "object" {
			t.Errorf("<%s> element: the file must need nothing else", n.Data)
		}
		if n.Data == "style" && strings.Contains(text(n), "url(") {
			t.Errorf("the CSS loads a url()")
		}
	}

	cards := p.all(func(n *html.Node) bool { return attr(n, "id") == "diagnosis" })
	if len(cards) != 1 {
		t.Fatalf("%d diagnosis cards, want 1", len(cards))
	}
	codes := page{cards[0]}.all(func(n *html.Node) bool { return hasClass(n, "code") })
	if len(codes) != 1 || text(codes[0]) != string(code) || attr(cards[0], "data-code") != string(code) {
		t.Errorf("diagnosis card code %q (data-code %q), want exactly %q", text(cards[0]), attr(cards[0], "data-code"), code)
	}
	d := rep.Step(step).Diagnosis
	for _, want := range []string{d.Summary, d.Detail, d.Hint} {
		if !strings.Contains(text(cards[0]), want) {
			t.Errorf("diagnosis card lacks %q", want)
		}
	}

	marked := p.all(func(n *html.Node) bool { return n.Data == "tr" && attr(n, "data-failing") == "true" })
	if len(marked) != 1 || attr(marked[0], "data-step") != step || !hasClass(marked[0], "failing") {
		t.Errorf("failing rows %d, want one, for step %s", len(marked), step)
	}

	var performed []string
	for _, s := range rep.Steps {
		if s.Status != prober.StatusSkipped && s.Status != prober.StatusNotRequested {
			performed = append(performed, s.Name)
		}
	}
	var bars []string
	for _, n := range p.all(func(n *html.Node) bool { return n.Data == "rect" && hasClass(n, "bar") }) {
		bars = append(bars, attr(n, "data-step"))
		if w, err := strconv.ParseFloat(attr(n, "width"), 64); err != nil || w <= 0 {
			t.Errorf("bar %s has width %q", attr(n, "data-step"), attr(n, "width"))
		}
	}
	if strings.Join(bars, ",") != strings.Join(performed, ",") {
		t.Errorf("waterfall bars %q, want one per performed step %q", bars, performed)
	}
	failingBars := p.all(func(n *html.Node) bool { return n.Data == "g" && hasClass(n, "failing") })
	if len(failingBars) != 1 || attr(failingBars[0], "data-step") != step {
		t.Errorf("%d waterfall rows marked failing, want the one of %s", len(failingBars), step)
	}

	checkChain(t, p, rep, chain)
	checkTranscript(t, p, rep, step)
}

// checkChain: one item per certificate of the chain, in order, each with
// its exact "N days left" or "expired N days ago".
func checkChain(t *testing.T, p page, rep *prober.Report, chain bool) {
	t.Helper()
	var want []string
	for _, s := range rep.Steps {
		if d, ok := s.Details.(*prober.TLSDetails); ok {
			for _, c := range d.Chain {
				days := fmt.Sprintf("%d days left", c.DaysLeft)
				if c.NotAfter.Before(rep.Started) {
					days = fmt.Sprintf("expired %d days ago", int(rep.Started.Sub(c.NotAfter).Hours()/24))
				}
				want = append(want, c.Subject+"|"+days)
			}
		}
	}
	var got []string
	for _, n := range p.all(func(n *html.Node) bool { return hasClass(n, "cert") }) {
		b := p.all(func(m *html.Node) bool { return m.Data == "b" && m.Parent == n })
		days := page{n}.all(func(m *html.Node) bool { return hasClass(m, "days") })
		if len(b) != 1 || len(days) != 1 {
			t.Fatalf("certificate item %q lacks its subject or days", text(n))
		}
		got = append(got, text(b[0])+"|"+text(days[0]))
	}
	if chain && len(want) == 0 {
		t.Fatalf("the report has no chain to show")
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("chain shown %q, want %q", got, want)
	}
}

// checkTranscript: each transcript line in order, its direction's colour
// class, its time relative to the connection's start, and its text.
func checkTranscript(t *testing.T, p page, rep *prober.Report, step string) {
	t.Helper()
	class := map[wiretap.Dir]string{wiretap.Client: "c", wiretap.Server: "s"}
	var want, got []string
	lines := map[string]int{}
	for _, s := range rep.Steps {
		for _, l := range s.Transcript {
			c := cmp.Or(class[l.Dir], "x")
			lines[c]++
			want = append(want, fmt.Sprintf("%s +%.3fs %s: %s", c, l.At.Seconds(), l.Dir, l.Text))
		}
	}
	for _, n := range p.all(func(n *html.Node) bool { return hasClass(n, "line") }) {
		c := "?"
		for _, k := range []string{"c", "s", "x"} {
			if hasClass(n, k) {
				c = k
			}
		}
		got = append(got, c+" "+text(n))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("transcript shown:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if step != "tls" && (lines["s"] == 0 || lines["c"] == 0) { // a failed handshake has no IMAP lines
		t.Errorf("transcript lines by direction %v, want client and server lines", lines)
	}
}

// TestOKReport: a healthy probe's page says OK, has no diagnosis card and
// no failing step, and draws every step but starttls (implicit TLS).
func TestOKReport(t *testing.T) {
	t.Parallel()
	rep := probeFake(t, "")
	if rep.Result.Status != prober.StatusOK {
		t.Fatalf("probe: %s at %s (%s), want ok", rep.Result.Status, rep.Result.Step, rep.Result.Code)
	}
	var buf bytes.Buffer
	if err := htmlreport.Write(&buf, rep); err != nil {
		t.Fatal(err)
	}
	root, err := html.Parse(&buf)
	if err != nil {
		t.Fatal(err)
	}
	p := page{root}
	verdict := p.all(func(n *html.Node) bool { return attr(n, "id") == "verdict" })
	cards := p.all(func(n *html.Node) bool { return hasClass(n, "card") })
	failing := p.all(func(n *html.Node) bool { return hasClass(n, "failing") })
	bars := p.all(func(n *html.Node) bool { return n.Data == "rect" && hasClass(n, "bar") })
	if len(verdict) != 1 || text(verdict[0]) != "OK" || len(cards) != 0 || len(failing) != 0 || len(bars) != len(prober.Steps)-1 {
		t.Errorf("verdicts %d, cards %d, failing marks %d, bars %d; want OK, 0, 0, %d", len(verdict), len(cards), len(failing), len(bars), len(prober.Steps)-1)
	}
}
