package recording

import (
	"strings"
	"testing"
)

// TestSession: the greeting, exchanges with their tags and names (UID
// forms included), AUTHENTICATE's continuation, and a literal's go-ahead
// left out of the exchange before it.
func TestSession(t *testing.T) {
	t.Parallel()
	r, err := Decode(strings.NewReader(Header + `
tls starttls
S 0.001 * OK ready
C 0.002 a1 CAPABILITY
S 0.003 * CAPABILITY IMAP4rev1
S 0.003 a1 OK done
S 0.004 + Ready for literal data
C 0.004 a2 LOGIN alice {8}\r\n[redacted]
S 0.005 a2 OK in
C 0.006 a3 AUTHENTICATE PLAIN
S 0.007 +
C 0.008 [redacted]
S 0.009 a3 OK in
C 0.010 a4 uid fetch 1:* (FLAGS)
S 0.011 a4 OK done
C 0.012 a5 IDLE
S 0.013 + idling
S 0.014 * 4 EXISTS
C 0.015 DONE
S 0.016 a5 OK IDLE terminated
`))
	if err != nil {
		t.Fatal(err)
	}
	greeting, ex := r.Session()
	if len(greeting) != 1 || len(ex) != 5 {
		t.Fatalf("greeting %d lines, %d exchanges", len(greeting), len(ex))
	}
	for i, want := range []struct {
		tag, name, args string
		items           int
		tagged          bool
	}{
		{"a1", "CAPABILITY", "", 2, true},
		{"a2", "LOGIN", `alice {8}\r\n[redacted]`, 1, true},
		{"a3", "AUTHENTICATE", "PLAIN", 3, true},
		{"a4", "UID FETCH", "1:* (FLAGS)", 1, true},
		{"a5", "IDLE", "", 4, true},
	} {
		e := ex[i]
		if e.Tag != want.tag || e.Name != want.name || e.Args != want.args || len(e.Items) != want.items || e.Tagged != want.tagged {
			t.Errorf("exchange %d: %s %q %q, %d items, tagged %v; want %+v", i, e.Tag, e.Name, e.Args, len(e.Items), e.Tagged, want)
		}
	}
	if it := ex[2].Items[1]; it.Dir != Client || it.Text != "[redacted]" {
		t.Errorf("AUTHENTICATE's continuation: %+v", it)
	}

	// a greeting that starts with "+" (POP3's) is still the greeting
	pop, err := Decode(strings.NewReader(Header + "\ntls none\nS 0.001 +OK POP3 server ready\n"))
	if err != nil {
		t.Fatal(err)
	}
	if greeting, _ := pop.Session(); len(greeting) != 1 {
		t.Errorf("POP3 greeting: %+v", greeting)
	}
}
