package htmlreport_test

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/imapprobe/imapprobe/internal/htmlreport"
	"github.com/imapprobe/imapprobe/prober"
)

// A report rendered to HTML; imapprobe --html FILE writes the same. Here
// the report is made by hand; normally it comes from prober.Probe.
func ExampleWrite() {
	rep := &prober.Report{
		Target:  prober.Target{Host: "mail.example.com", Port: 993, TLS: prober.TLSImplicit, User: "alice", Mailbox: "INBOX"},
		Started: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC), Duration: 40 * time.Millisecond,
		Steps: []prober.Step{
			{Name: "connect", Status: prober.StatusOK, Duration: 3 * time.Millisecond},
			{Name: "auth", Status: prober.StatusFail, Start: 3 * time.Millisecond, Duration: 37 * time.Millisecond,
				Diagnosis: &prober.Diagnosis{Code: "auth.failed", Severity: prober.SeverityError, Summary: "the server refused the credentials"}},
		},
	}
	rep.Result = rep.Verdict(false)
	var buf bytes.Buffer
	if err := htmlreport.Write(&buf, rep); err != nil {
		fmt.Println(err)
		return
	}
	doc := buf.String()
	fmt.Println(strings.Contains(doc, `data-code="auth.failed"`), strings.Count(doc, `<rect class="bar`))
	// Output: true 2
}

// The same report as a fragment, for a page of its own (imapprobe serve's
// live page): the body's sections without <html>, <head> or <style>.
func ExampleWriteFragment() {
	rep := &prober.Report{
		Target: prober.Target{Host: "mail.example.com", Port: 993, TLS: prober.TLSImplicit, Mailbox: "INBOX"},
		Steps: []prober.Step{{Name: "select", Status: prober.StatusFail,
			Diagnosis: &prober.Diagnosis{Code: "mailbox.not_found", Severity: prober.SeverityError, Summary: "the mailbox does not exist"}}},
	}
	var buf bytes.Buffer
	if err := htmlreport.WriteFragment(&buf, rep); err != nil {
		fmt.Println(err)
		return
	}
	frag := buf.String()
	fmt.Println(strings.Contains(frag, `data-code="mailbox.not_found"`), strings.Contains(frag, "<html"), strings.Contains(frag, "<style"))
	// Output: true false false
}
