package textreport

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/imapprobe/imapprobe/prober"
)

func TestDescribeTarget(t *testing.T) {
	t.Parallel()
	cases := []struct {
		target prober.Target
		want   string
	}{
		{prober.Target{Host: "mail.example.com", Port: 993, TLS: prober.TLSImplicit, User: "alice", Mailbox: "INBOX"},
			"imaps://alice@mail.example.com:993/INBOX (TLS implicit)"},
		{prober.Target{Host: "::1", Port: 143, TLS: prober.TLSStartTLS, User: "alice@example.com", Mailbox: "Sent"},
			"imap://alice%40example.com@[::1]:143/Sent (TLS starttls)"},
		{prober.Target{Host: "192.0.2.1", Port: 143, TLS: prober.TLSNone, Mailbox: "My Folder", ConnectAddr: "192.0.2.2"},
			"imap://192.0.2.1:143/My Folder (TLS none) via 192.0.2.2"},
	}
	for _, c := range cases {
		if got := DescribeTarget(c.target); got != c.want {
			t.Errorf("DescribeTarget(%+v) = %q, want %q", c.target, got, c.want)
		}
	}
}

// TestTextColumns: every step line starts its summary in the same column,
// whether the timing is in µs (a two-byte rune) or ms, and no line ends in
// spaces; a failed select does not claim counts it never received.
func TestTextColumns(t *testing.T) {
	t.Parallel()
	rep := &prober.Report{
		Target: prober.Target{Host: "h", Port: 993, TLS: prober.TLSImplicit, Mailbox: "Nope"},
		Steps: []prober.Step{
			{Name: prober.StepResolve, Status: prober.StatusOK, Duration: 43 * time.Microsecond,
				Details: &prober.ResolveDetails{Addresses: []string{"192.0.2.1:993"}, Source: "dns"}},
			{Name: prober.StepConnect, Status: prober.StatusOK, Duration: 2 * time.Millisecond,
				Details: &prober.ConnectDetails{Address: "192.0.2.1:993", Local: "192.0.2.9:4000"}},
			{Name: prober.StepSelect, Status: prober.StatusFail, Duration: 12 * time.Second,
				Details:   &prober.SelectDetails{Mailbox: "Nope", Command: "EXAMINE"},
				Diagnosis: &prober.Diagnosis{Code: "mailbox.not_found", Summary: "s"}},
			{Name: prober.StepList, Status: prober.StatusFail, Details: &prober.ListDetails{}},
			{Name: prober.StepLogout, Status: prober.StatusOK, Duration: time.Millisecond},
		},
	}
	var buf bytes.Buffer
	Write(&buf, rep, Style{})
	out := buf.String()
	col := map[string]int{}
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if strings.HasSuffix(line, " ") {
			t.Errorf("trailing space: %q", line)
		}
		for _, s := range []string{"192.0.2.1:993 (dns)", "192.0.2.1:993 from", "EXAMINE"} {
			if i := strings.Index(line, s); i >= 0 && strings.HasPrefix(line, "  ") {
				col[s] = utf8.RuneCountInString(line[:i])
			}
		}
	}
	if len(col) != 3 || col["192.0.2.1:993 (dns)"] != col["192.0.2.1:993 from"] || col["EXAMINE"] != col["192.0.2.1:993 from"] {
		t.Errorf("summary columns %v differ:\n%s", col, out)
	}
	if !strings.Contains(out, "  EXAMINE Nope\n") || strings.Contains(out, "UIDVALIDITY") || strings.Contains(out, "0 mailboxes") {
		t.Errorf("failed select summary:\n%s", out)
	}
}

func TestConnectSummaryNamesFailedAddresses(t *testing.T) {
	t.Parallel()
	fail := func(a string) prober.Attempt { return prober.Attempt{Address: a, Error: "i/o timeout"} }
	ok := prober.Attempt{Address: "192.0.2.1:993"}
	cases := []struct {
		d    prober.ConnectDetails
		want string
	}{
		{prober.ConnectDetails{Address: "192.0.2.1:993", Local: "192.0.2.9:4000", Attempts: []prober.Attempt{ok}}, "192.0.2.1:993 from 192.0.2.9:4000"},
		{prober.ConnectDetails{Address: "192.0.2.1:993", Local: "192.0.2.9:4000", Attempts: []prober.Attempt{fail("[2001:db8::1]:993"), ok}},
			"192.0.2.1:993 from 192.0.2.9:4000 (failed: [2001:db8::1]:993)"},
		{prober.ConnectDetails{Attempts: []prober.Attempt{fail("[2001:db8::1]:993"), fail("192.0.2.1:993")}}, "failed: [2001:db8::1]:993, 192.0.2.1:993"},
		{prober.ConnectDetails{Attempts: []prober.Attempt{fail("192.0.2.1:993")}}, ""}, // the diagnosis says it
	}
	for _, c := range cases {
		if got := StepSummary(prober.Step{Details: &c.d}); got != c.want {
			t.Errorf("%+v: %q, want %q", c.d, got, c.want)
		}
	}
}
