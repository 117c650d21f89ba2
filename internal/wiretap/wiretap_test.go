package wiretap

import (
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/imapprobe/imapprobe/internal/redact"
)

// pair returns a tapped client end and the raw server end of a pipe.
func pair(t *testing.T, lim Limits) (*Recorder, *Conn, net.Conn) {
	t.Helper()
	c, s := net.Pipe()
	t.Cleanup(func() { c.Close(); s.Close() })
	rec := New(time.Now(), lim, nil)
	return rec, rec.Tap(c, redact.Client), s
}

func texts(lines []Line) []string {
	var out []string
	for _, l := range lines {
		out = append(out, string(l.Dir)+": "+l.Text)
	}
	return out
}

func TestSplitsLinesAndLiterals(t *testing.T) {
	t.Parallel()
	rec, conn, srv := pair(t, DefaultLimits())
	big := strings.Repeat("x", 300)
	go func() {
		// split across writes at awkward places
		for _, chunk := range []string{"* OK re", "ady\r\n* 1 FETCH (BODY[] {5}\r\nhel", "lo)\r\n* 2 FETCH (BODY[] {300}\r\n" + big + ")\r\n", "a1 OK \x1b[31mred\r\n"} {
			_, _ = io.WriteString(srv, chunk)
		}
		_, _ = io.Copy(io.Discard, srv)
	}()
	if _, err := io.ReadFull(conn, make([]byte, len("* OK ready\r\n* 1 FETCH (BODY[] {5}\r\nhello)\r\n* 2 FETCH (BODY[] {300}\r\n")+300+3+len("a1 OK \x1b[31mred\r\n"))); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(conn, "a2 LOGIN bob secret\r\n"); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"S: * OK ready",
		`S: * 1 FETCH (BODY[] {5}\r\nhello)`,
		`S: * 2 FETCH (BODY[] {300}\r\n[300 bytes])`,
		`S: a1 OK \x1b[31mred`,
		"C: a2 LOGIN bob [redacted]",
	}
	if got := texts(rec.Lines(0)); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestLimitsFailFast(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, data, what string
	}{
		{"huge literal", "* OK {1073741824}\r\n", "literal"},
		{"overflowing literal", "* OK {99999999999999999999999}\r\n", "literal"},
		{"endless line", "* OK " + strings.Repeat("a", 70<<10), "line"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, conn, srv := pair(t, DefaultLimits())
			go func() { _, _ = io.WriteString(srv, tc.data) }()
			var err error
			buf := make([]byte, 4096)
			for err == nil {
				_, err = conn.Read(buf)
			}
			var lerr *LimitError
			if !errors.As(err, &lerr) || lerr.What != tc.what {
				t.Fatalf("err = %v, want a %s LimitError", err, tc.what)
			}
			if !errors.Is(conn.Err(), err) {
				t.Errorf("Err() = %v", conn.Err())
			}
			if _, again := conn.Read(buf); again == nil {
				t.Errorf("a read after the limit error succeeded")
			}
		})
	}
}

func TestTranscriptIsBounded(t *testing.T) {
	t.Parallel()
	lim := Limits{MaxLine: 1 << 10, MaxLiteral: 1 << 10, MaxLines: 3, MaxText: 20}
	rec, conn, srv := pair(t, lim)
	go func() {
		_, _ = io.WriteString(srv, "* 1 "+strings.Repeat("b", 100)+"\r\n* 2\r\n* 3\r\n* 4\r\n* 5\r\n")
	}()
	if _, err := io.ReadFull(conn, make([]byte, 4+100+2+4*5)); err != nil {
		t.Fatal(err)
	}
	lines := rec.Lines(0)
	if len(lines) != 3 || rec.Omitted() != 2 {
		t.Fatalf("%d lines kept, %d omitted; want 3 and 2", len(lines), rec.Omitted())
	}
	if !strings.HasSuffix(lines[0].Text, "…(+84 bytes)") {
		t.Errorf("long line not shortened: %q", lines[0].Text)
	}
}

func TestEscape(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"plain":               "plain",
		"tab\there":           `tab\there`,
		"bell\a":              `bell\a`,
		"bad\xffbyte":         `bad\xffbyte`,
		"ünïcode":             "ünïcode",
		"csi\u009b[2J":        `csi\u009b[2J`,
		"a1 OK \u202egnp.exe": `a1 OK \u202egnp.exe`, // right-to-left override
		"zero\u200bwidth":     `zero\u200bwidth`,
		"line\u2028separator": `line\u2028separator`,
		"bom\ufeff":           `bom\ufeff`,
		"emoji 📬 and 中文 stay": "emoji 📬 and 中文 stay",
	} {
		if got := Escape(in, 0); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
}

func BenchmarkTapRead(b *testing.B) {
	const line, perFeed = "* 1 FETCH (FLAGS (\\Seen) UID 42)", 1000
	rec := New(time.Now(), DefaultLimits(), nil)
	data := []byte(strings.Repeat(line+"\r\n", perFeed))
	b.SetBytes(int64(len(data)))
	feeds := 0
	for b.Loop() {
		s := &splitter{rec: rec, side: redact.Server, enforce: true}
		if err := s.feed(data); err != nil {
			b.Fatal(err)
		}
		feeds++
	}
	// rec is shared: past MaxLines the lines are only counted, but every
	// one must have been recorded or counted.
	if got, want := rec.Len()+rec.Omitted(), feeds*perFeed; got != want || rec.Len() != min(want, DefaultLimits().MaxLines) {
		b.Fatalf("%d lines kept and %d omitted after %d feeds, want %d in all", rec.Len(), rec.Omitted(), feeds, want)
	}
	if l := rec.Lines(0); l[0].Text != line || l[len(l)-1].Text != line {
		b.Fatalf("lines recorded as %q ... %q, want %q", l[0].Text, l[len(l)-1].Text, line)
	}
}

func TestPartialLineIsRecordedOnClose(t *testing.T) {
	t.Parallel()
	rec, conn, srv := pair(t, DefaultLimits())
	go func() {
		_, _ = io.WriteString(srv, "\x16\x03noise")
		srv.Close()
	}()
	if _, err := io.ReadAll(conn); err != nil {
		t.Fatal(err)
	}
	got := texts(rec.Lines(0))
	if len(got) != 1 || got[0] != `S: \x16\x03noise …(incomplete)` || !rec.Lines(0)[0].Incomplete {
		t.Errorf("lines %q, %+v", got, rec.Lines(0))
	}
}

// TestLineRecordedAtItsCR: when CR and LF arrive in separate reads (a slow
// link, one byte per TLS record), the line is recorded as soon as the CR is
// read, because imapclient completes a command before it reads the LF.
func TestLineRecordedAtItsCR(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		chunks []string
		want   [][]string // recorded lines after each chunk
	}{
		{"plain line", []string{"a1 OK done\r", "\n"}, [][]string{{"S: a1 OK done"}, {"S: a1 OK done"}}},
		{"byte by byte", []string{"a", "1", " ", "O", "K", "\r", "\n", "*", " ", "B", "Y", "E", "\r", "\n"},
			[][]string{nil, nil, nil, nil, nil, {"S: a1 OK"}, {"S: a1 OK"}, {"S: a1 OK"}, {"S: a1 OK"}, {"S: a1 OK"}, {"S: a1 OK"}, {"S: a1 OK"}, {"S: a1 OK", "S: * BYE"}, {"S: a1 OK", "S: * BYE"}}},
		{"literal announced at CR", []string{"* 1 FETCH (BODY[] {3}\r", "\nab", "c)\r\n"},
			[][]string{nil, nil, {`S: * 1 FETCH (BODY[] {3}\r\nabc)`}}},
		{"literal ending in CR", []string{"* 1 FETCH (BODY[] {2}\r\na\r", ")\r\n"},
			[][]string{nil, {`S: * 1 FETCH (BODY[] {2}\r\na\r)`}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			rec := New(time.Now(), DefaultLimits(), nil)
			sp := &splitter{rec: rec, side: redact.Server, enforce: true}
			for i, chunk := range c.chunks {
				if err := sp.feed([]byte(chunk)); err != nil {
					t.Fatal(err)
				}
				if got := texts(rec.Lines(0)); strings.Join(got, "|") != strings.Join(c.want[i], "|") {
					t.Errorf("after chunk %d %q: %q, want %q", i, chunk, got, c.want[i])
				}
			}
			if n := rec.BareLF(Server); n != 0 {
				t.Errorf("%d bare LFs counted", n)
			}
		})
	}
}

// Reserve only makes room: the recorder keeps no line it was not given.
func TestReserve(t *testing.T) {
	t.Parallel()
	r := New(time.Now(), DefaultLimits(), nil)
	if got := r.Reserve(32); got != r || r.Len() != 0 || r.Lines(0) != nil {
		t.Fatalf("after Reserve: same recorder %v, Len %d, Lines %v", got == r, r.Len(), r.Lines(0))
	}
	r.Note("one")
	if lines := r.Lines(0); len(lines) != 1 || lines[0].Text != "one" || lines[0].Dir != Info {
		t.Fatalf("Lines = %+v, want the one note", lines)
	}
}
