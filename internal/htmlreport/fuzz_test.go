package htmlreport_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/imapprobe/imapprobe/internal/htmlreport"
	"github.com/imapprobe/imapprobe/internal/wiretap"
	"github.com/imapprobe/imapprobe/prober"
)

// FuzzWrite: whatever a hostile server puts in the report's text (its
// greeting, its error text, certificate names, transcript lines), the page
// keeps the elements and attributes of the template: no script, no event
// handler, no link out, no element the template does not write.
func FuzzWrite(f *testing.F) {
	for _, s := range []string{
		`<script>alert(1)</script>`, `"><img src=x onerror=alert(1)>`, `</style><script>x</script>`,
		`javascript:alert(1)`, `</pre><a href="https://evil.example">x</a>`, "\x00\xff\u2028", `{{.CSS}}`,
	} {
		f.Add(s)
	}
	allowed := map[string]bool{}
	for _, e := range strings.Fields("html head meta title style body header h1 h2 h3 p section code span b table thead tbody tr th td a strong svg line text g rect ol li br small pre") {
		allowed[e] = true
	}
	f.Fuzz(func(t *testing.T, s string) {
		rep := &prober.Report{
			Target:  prober.Target{Host: s, Port: 993, TLS: prober.TLSImplicit, User: s, Mailbox: s},
			Started: time.Unix(0, 0), Duration: time.Millisecond,
			Steps: []prober.Step{
				{Name: "tls", Status: prober.StatusOK, Duration: time.Microsecond, Note: s,
					Details: &prober.TLSDetails{Chain: []prober.CertSummary{{Subject: s, Issuer: s, SANs: []string{s}}}}},
				{Name: "greeting", Status: prober.StatusFail, Start: time.Microsecond, Duration: time.Millisecond,
					Diagnosis:  &prober.Diagnosis{Code: prober.Code(s), Summary: s, Detail: s, Hint: s},
					Warnings:   []prober.Diagnosis{{Code: prober.Code(s), Summary: s}},
					Transcript: []wiretap.Line{{Dir: wiretap.Server, Text: s}, {Dir: wiretap.Dir(s), Text: s}}},
			},
		}
		rep.Result = &prober.Result{Status: prober.StatusFail, Step: "greeting", Code: prober.Code(s)}
		var buf bytes.Buffer
		if err := htmlreport.Write(&buf, rep); err != nil {
			t.Fatal(err)
		}
		root, err := html.Parse(&buf)
		if err != nil {
			t.Fatal(err)
		}
		for n := range root.Descendants() {
			if n.Type != html.ElementNode {
				continue
			}
			if !allowed[n.Data] {
				t.Fatalf("element <%s> in the page", n.Data)
			}
			for _, a := range n.Attr {
				if strings.HasPrefix(strings.ToLower(a.Key), "on") {
					t.Fatalf("event handler %s on <%s>", a.Key, n.Data)
				}
				if a.Key == "href" && !strings.HasPrefix(a.Val, "#") {
					t.Fatalf("<%s href=%q> leaves the page", n.Data, a.Val)
				}
			}
		}
	})
}
