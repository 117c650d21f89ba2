package wiretap

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/imapprobe/imapprobe/internal/redact"
)

// feedAll feeds data to a fresh splitter in chunks of size n (0: at once)
// and returns the transcript and the error.
func feedAll(side redact.Side, red *redact.Session, lim Limits, data []byte, n int) ([]string, error) {
	rec := New(time.Now(), lim, red)
	sp := &splitter{rec: rec, side: side, enforce: true}
	var err error
	for len(data) > 0 && err == nil {
		k := len(data)
		if n > 0 {
			k = min(n, len(data))
		}
		err = sp.feed(data[:k])
		data = data[k:]
	}
	return texts(rec.Lines(0)), err
}

// TestLiteralContentIsNotAnAnnouncement: literal content that ends in
// {N} is data, not the announcement of another literal (issue 16 item 7),
// whether the content is kept inline or, over inlineLiteral, only
// counted, and however the bytes are chunked.
func TestLiteralContentIsNotAnAnnouncement(t *testing.T) {
	t.Parallel()
	pad := strings.Repeat("z", inlineLiteral) // makes a literal too big to keep
	lit := func(content string) string { return "{" + strconv.Itoa(len(content)) + "}\r\n" + content }
	shown := func(content string) string {
		if len(content) > inlineLiteral {
			return "{" + strconv.Itoa(len(content)) + `}\r\n[` + strconv.Itoa(len(content)) + " bytes]"
		}
		return "{" + strconv.Itoa(len(content)) + `}\r\n` + content
	}
	type tc struct {
		name string
		side redact.Side
		data string
		want []string
	}
	var cases []tc
	for _, p := range []string{"", pad} {
		size := "inline"
		if p != "" {
			size = "counted"
		}
		cases = append(cases,
			tc{"LIST name Ab{99999999}, " + size, redact.Server,
				"* LIST () \"/\" " + lit(p+"Ab{99999999}") + "\r\nT1 OK done\r\n",
				[]string{`S: * LIST () "/" ` + shown(p+"Ab{99999999}"), "S: T1 OK done"}},
			tc{"LIST name Ab{40} does not swallow what follows, " + size, redact.Server,
				"* LIST () \"/\" " + lit(p+"Ab{40}") + "\r\n* LIST () \"/\" INBOX\r\nT1 OK done\r\n",
				[]string{`S: * LIST () "/" ` + shown(p+"Ab{40}"), `S: * LIST () "/" INBOX`, "S: T1 OK done"}},
			tc{"LOGIN password Ab{99999999}, " + size, redact.Client,
				"a LOGIN alice " + lit(p+"Ab{99999999}") + "\r\nb NOOP\r\n",
				[]string{"C: a LOGIN alice [redacted]", "C: b NOOP"}},
			tc{"LOGIN password {20}, " + size, redact.Client,
				"a LOGIN alice " + lit(p+"{20}") + "\r\nb NOOP\r\n",
				[]string{"C: a LOGIN alice [redacted]", "C: b NOOP"}},
			// a user too long to keep hides where the password starts:
			// both are masked
			tc{"LOGIN user {20}, " + size, redact.Client,
				"a LOGIN " + lit(p+"{20}") + " pw\r\nb NOOP\r\n",
				[]string{"C: a LOGIN " + map[bool]string{true: shown(p+"{20}") + " "}[p == ""] + "[redacted]", "C: b NOOP"}},
			tc{"a real literal after the content still counts, " + size, redact.Server,
				"* 1 FETCH (A " + lit(p+"{9}") + " B {3}\r\nxyz)\r\nT1 OK\r\n",
				[]string{"S: * 1 FETCH (A " + shown(p+"{9}") + ` B {3}\r\nxyz)`, "S: T1 OK"}},
		)
	}
	// the fake's transcript keeps 1 KiB of a line (Limits.MaxLine 0): an
	// announcement past that is still seen, so the password literal is
	// still masked and not read as a line of its own
	long := `"` + strings.Repeat("u", 1100) + `"`
	cases = append(cases, tc{"announcement past the kept bytes", redact.Client,
		"a LOGIN " + long + " {8}\r\npassword\r\nb NOOP\r\n", nil})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			lim := DefaultLimits()
			if c.want == nil {
				lim = Limits{MaxLines: 500, MaxText: 300}
			}
			for _, n := range []int{0, 1, 2, 7, 100} {
				got, err := feedAll(c.side, nil, lim, []byte(c.data), n)
				if err != nil {
					t.Errorf("chunks of %d: %v", n, err)
				}
				if c.want == nil {
					if len(got) != 2 || got[1] != "C: b NOOP" || strings.Contains(strings.Join(got, "\n"), "password") {
						t.Errorf("chunks of %d: %q", n, got)
					}
					continue
				}
				if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
					t.Errorf("chunks of %d: lines:\n%s\nwant:\n%s", n, strings.Join(got, "\n"), strings.Join(c.want, "\n"))
				}
			}
		})
	}
}

// TestTapDoesNotMisframeLiterals runs the three reproducers
// through real taps: the prober's (reading a server) gets no LimitError
// and sees every line; the fake's (reading a client) keeps reading after
// a password literal Ab{99999999}.
func TestTapDoesNotMisframeLiterals(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		local redact.Side
		data  string
		want  []string
	}{
		{"server LIST Ab{99999999}", redact.Client, "* LIST () \"/\" {12}\r\nAb{99999999}\r\nT1 OK done\r\n",
			[]string{`S: * LIST () "/" {12}\r\nAb{99999999}`, "S: T1 OK done"}},
		{"server LIST Ab{40}", redact.Client, "* LIST () \"/\" {6}\r\nAb{40}\r\n* LIST () \"/\" INBOX\r\nT1 OK done\r\n",
			[]string{`S: * LIST () "/" {6}\r\nAb{40}`, `S: * LIST () "/" INBOX`, "S: T1 OK done"}},
		{"client LOGIN Ab{99999999}", redact.Server, "a LOGIN alice {12}\r\nAb{99999999}\r\nb LOGOUT\r\n",
			[]string{"C: a LOGIN alice [redacted]", "C: b LOGOUT"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			a, b := net.Pipe()
			t.Cleanup(func() { a.Close(); b.Close() })
			rec := New(time.Now(), DefaultLimits(), nil)
			conn := rec.Tap(a, c.local)
			go func() { _, _ = io.WriteString(b, c.data) }()
			_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			if _, err := io.ReadFull(conn, make([]byte, len(c.data))); err != nil {
				t.Fatalf("read: %v", err)
			}
			if got := texts(rec.Lines(0)); strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
			if _, pending := conn.Pending(); pending || conn.LiteralLeft() != 0 {
				t.Errorf("still pending after the last line: literal left %d", conn.LiteralLeft())
			}
		})
	}
}

// TestAnnounceMatchesLiteralSize: the splitter's byte-wise announcement
// tracker agrees with LiteralSize, which the prober's and the fake's
// readers use, on every shape of line end.
func TestAnnounceMatchesLiteralSize(t *testing.T) {
	t.Parallel()
	for _, line := range []string{
		"{5}", "{5+}", "{5-}", "~{5}", "x{0}", "{00012}", "{}", "{+}", "{-5}", "5}", "x12}", "{12a3}",
		"{5}}", "{{5}", "{5+-}", "{5}\r", "{5}\r\r", "{5}\rx", "{5\r}", "{99999999999999999999}",
		"{9223372036854775807}", "{9223372036854775808}", "{0000000000000000000000000000007}", "a {3} b", "",
	} {
		want, wok := LiteralSize(bytes.TrimSuffix([]byte(line), []byte("\r")))
		for n := 1; n <= len(line)+1; n++ {
			var a announce
			for p := []byte(line); len(p) > 0; p = p[min(n, len(p)):] {
				a.feed(p[:min(n, len(p))])
			}
			if got, ok := a.size(); got != want || ok != wok {
				t.Errorf("%q in chunks of %d: (%d, %v), LiteralSize says (%d, %v)", line, n, got, ok, want, wok)
			}
		}
	}
}

// TestCRInsideALine: a CR that ends a chunk records its line at once; when
// the next byte is not LF the line is taken back, so the transcript is the
// one the bytes give in a single chunk, and an announcement over the limit
// before such a CR is no error.
func TestCRInsideALine(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		chunks  []string
		want    []string
		wantErr bool
	}{
		{"bare CR inside a line", []string{"* OK a\r", "b\r\n", "T1 OK\r\n"}, []string{`S: * OK a\rb`, "S: T1 OK"}, false},
		{"CR after an announcement", []string{"* OK {3}\r", "xx\r\n", "T1 OK\r\n"}, []string{`S: * OK {3}\rxx`, "S: T1 OK"}, false},
		{"CR after a huge announcement", []string{"* OK {99999999}\r", "x\r\n"}, []string{`S: * OK {99999999}\rx`}, false},
		{"CRLF after a huge announcement", []string{"* OK {99999999}\r", "\n"}, nil, true},
		{"two CRs", []string{"* OK\r", "\r", "\n"}, []string{`S: * OK\r`}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			rec := New(time.Now(), DefaultLimits(), nil)
			sp := &splitter{rec: rec, side: redact.Server, enforce: true}
			var err error
			for _, ch := range c.chunks {
				if err = sp.feed([]byte(ch)); err != nil {
					break
				}
			}
			var lerr *LimitError
			if c.wantErr != errors.As(err, &lerr) {
				t.Fatalf("err %v, want a LimitError: %v", err, c.wantErr)
			}
			if got := texts(rec.Lines(0)); strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("lines %q, want %q", got, c.want)
			}
			if rec.Omitted() != 0 {
				t.Errorf("omitted %d", rec.Omitted())
			}
		})
	}
}

// TestLimitErrorHeadIsMasked: the head of an over-long line, quoted in the
// error, holds no secret.
func TestLimitErrorHeadIsMasked(t *testing.T) {
	t.Parallel()
	const secret = "Head-Canary-99"
	red := redact.NewSession(redact.Encodings("alice", secret)...)
	for _, tc := range []struct {
		name string
		side redact.Side
		data string
	}{
		{"server echoes the secret", redact.Server, "* OK " + strings.ToUpper(secret) + strings.Repeat("a", 70<<10)},
		{"client LOGIN with an unseeded password", redact.Client, "a LOGIN alice unseeded-pw-1 " + strings.Repeat("a", 70<<10)},
		{"literal announcement after the secret", redact.Server, "* OK " + secret + " {1073741824}\r\n"},
	} {
		_, err := feedAll(tc.side, red, DefaultLimits(), []byte(tc.data), 0)
		lerr, ok := err.(*LimitError)
		if !ok {
			t.Fatalf("%s: err %v, want a LimitError", tc.name, err)
		}
		low := strings.ToLower(lerr.Error())
		if strings.Contains(low, strings.ToLower(secret)) || strings.Contains(low, "unseeded-pw-1") {
			t.Errorf("%s: %q", tc.name, lerr.Error())
		}
	}
}
