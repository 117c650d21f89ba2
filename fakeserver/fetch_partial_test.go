package fakeserver_test

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imapprobe/imapprobe/fakeserver"
)

// positionalMessage is a plain message whose body lines each carry their
// own offset, so that a slice taken from the wrong place cannot match.
// Its header is CRLF-terminated and unfolded, so imapserver writes it back
// byte for byte and BODY[] is exactly the stored bytes.
func positionalMessage(size int) []byte {
	var b bytes.Buffer
	b.WriteString("From: Big Sender <big@example.test>\r\n" +
		"To: alice@example.test\r\n" +
		"Subject: positional body\r\n" +
		"Date: Mon, 02 Mar 2026 09:15:00 +0000\r\n" +
		"Message-ID: <positional@example.test>\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=us-ascii\r\n" +
		"Content-Transfer-Encoding: 7bit\r\n\r\n")
	line := make([]byte, 0, 32)
	for b.Len() < size {
		line = strconv.AppendInt(append(line[:0], "offset "...), int64(b.Len()), 10)
		line = append(line, " ........................\r\n"...)
		b.Write(line)
	}
	return b.Bytes()[:size]
}

// headerEnd is the offset of the body of a message whose header ends at
// the first blank line.
func headerEnd(t testing.TB, raw []byte) int {
	t.Helper()
	i := bytes.Index(raw, []byte("\r\n\r\n"))
	if i < 0 {
		t.Fatal("no blank line in message")
	}
	return i + 4
}

// appended is the sequence number (and UID) of the first message a test
// appends to a fresh server's INBOX.
const appended = fakeserver.SeededInbox + 1

// appendMessages adds raw messages to the first user's INBOX.
func appendMessages(t *testing.T, srv *fakeserver.Server, msgs ...[]byte) {
	t.Helper()
	name, _ := srv.User()
	for _, m := range msgs {
		if err := srv.Append(name, "INBOX", m); err != nil {
			t.Fatal(err)
		}
	}
}

// fetchLiteral sends "f <cmd>" and reads a FETCH response holding one
// literal, then the tagged OK; it returns the line up to the literal, the
// literal and the line after it, and fails on any other response.
func fetchLiteral(t *testing.T, r *rawConn, cmd string) (head string, lit []byte, tail string) {
	t.Helper()
	head, lit, tail, more := fetchLiteralUpdates(t, r, cmd)
	if len(more) > 0 {
		t.Fatalf("%s: responses after the FETCH: %q", cmd, more)
	}
	return head, lit, tail
}

// fetchLiteralUpdates is fetchLiteral that also returns the untagged
// responses between the FETCH response and the tagged OK.
func fetchLiteralUpdates(t *testing.T, r *rawConn, cmd string) (head string, lit []byte, tail string, more []string) {
	t.Helper()
	// Roomy: under -race on a loaded machine, imapmemserver takes seconds to
	// copy the 16 MiB message TestFetchPartialDoesNotCopyMessage compares with.
	_ = r.nc.SetDeadline(time.Now().Add(60 * time.Second))
	r.send("f " + cmd + "\r\n")
	head = r.line()
	size, ok := literalSize(head)
	if !ok {
		t.Fatalf("%s: %q announces no literal", cmd, head)
	}
	lit = make([]byte, size)
	if _, err := io.ReadFull(r.br, lit); err != nil {
		t.Fatalf("%s: reading the %d-byte literal: %v", cmd, size, err)
	}
	tail = r.line()
	for {
		l := r.line()
		if strings.HasPrefix(l, "f ") {
			if !strings.HasPrefix(l, "f OK ") {
				t.Fatalf("%s: %q", cmd, l)
			}
			return head, lit, tail, more
		}
		more = append(more, l)
	}
}

var literalRE = regexp.MustCompile(`~?\{(\d+)\}\r\n$`)

func literalSize(line string) (int, bool) {
	m := literalRE.FindStringSubmatch(line)
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	return n, err == nil
}

// TestFetchPartialExactBytes: a partial FETCH of the whole message (or of
// its text) returns exactly bytes [offset, offset+size) of it, clipped to
// its end, and nothing for an offset at or past the end; the whole BODY[]
// and BINARY[] are the stored bytes.
func TestFetchPartialExactBytes(t *testing.T) {
	t.Parallel()
	raw := positionalMessage(300_000)
	n := len(raw)
	hdr := headerEnd(t, raw)
	body := raw[hdr:]
	srv := fakeserver.New(t, fakeserver.WithMode(fakeserver.ModePlaintext))
	appendMessages(t, srv, raw)
	r := openInbox(t, srv)

	pre := fmt.Sprintf("* %d FETCH (UID %d ", appended, appended)
	tests := []struct {
		name, item string
		wantItem   string // the data item before the literal
		want       []byte
	}{
		{"start", "BODY.PEEK[]<0.100>", "BODY[]<0> {100}", raw[:100]},
		{"one byte", "BODY.PEEK[]<0.1>", "BODY[]<0> {1}", raw[:1]},
		{"middle", "BODY.PEEK[]<123457.4096>", "BODY[]<123457> {4096}", raw[123457 : 123457+4096]},
		{"across the blank line", fmt.Sprintf("BODY.PEEK[]<%d.20>", hdr-10), fmt.Sprintf("BODY[]<%d> {20}", hdr-10), raw[hdr-10 : hdr+10]},
		{"clipped at the end", fmt.Sprintf("BODY.PEEK[]<%d.100>", n-7), fmt.Sprintf("BODY[]<%d> {7}", n-7), raw[n-7:]},
		{"last byte", fmt.Sprintf("BODY.PEEK[]<%d.1>", n-1), fmt.Sprintf("BODY[]<%d> {1}", n-1), raw[n-1:]},
		{"at the end", fmt.Sprintf("BODY.PEEK[]<%d.10>", n), fmt.Sprintf("BODY[]<%d> {0}", n), nil},
		{"past the end", fmt.Sprintf("BODY.PEEK[]<%d.10>", n+1), fmt.Sprintf("BODY[]<%d> {0}", n+1), nil},
		{"far past the end", "BODY.PEEK[]<4000000000.10>", "BODY[]<4000000000> {0}", nil},
		{"zero octets", "BODY.PEEK[]<10.0>", "BODY[]<10> {0}", nil},
		{"more than the message", "BODY.PEEK[]<0.1048576>", fmt.Sprintf("BODY[]<0> {%d}", n), raw},
		{"whole", "BODY.PEEK[]", fmt.Sprintf("BODY[] {%d}", n), raw},
		{"obsolete RFC822.PEEK", "RFC822.PEEK", fmt.Sprintf("RFC822.PEEK {%d}", n), raw},
		{"text, partial", "BODY.PEEK[TEXT]<5.50>", "BODY[TEXT]<5> {50}", body[5:55]},
		{"text, clipped", fmt.Sprintf("BODY.PEEK[TEXT]<%d.50>", len(body)-3), fmt.Sprintf("BODY[TEXT]<%d> {3}", len(body)-3), body[len(body)-3:]},
		{"text, past the end", fmt.Sprintf("BODY.PEEK[TEXT]<%d.50>", len(body)+1), fmt.Sprintf("BODY[TEXT]<%d> {0}", len(body)+1), nil},
		{"text, whole", "BODY.PEEK[TEXT]", fmt.Sprintf("BODY[TEXT] {%d}", len(body)), body},
		// imapserver writes no <offset> after BINARY[].
		{"binary, partial", "BINARY.PEEK[]<200000.333>", "BINARY[] ~{333}", raw[200000:200333]},
		{"binary, past the end", fmt.Sprintf("BINARY.PEEK[]<%d.5>", n+1), "BINARY[] ~{0}", nil},
		{"binary, whole", "BINARY.PEEK[]", fmt.Sprintf("BINARY[] ~{%d}", n), raw},
	}
	for _, tt := range tests {
		head, lit, tail := fetchLiteral(t, r, fmt.Sprintf("FETCH %d (%s)", appended, tt.item))
		if want := pre + tt.wantItem + "\r\n"; head != want {
			t.Errorf("%s: response starts %q, want %q", tt.name, head, want)
		}
		if !bytes.Equal(lit, tt.want) {
			t.Errorf("%s: literal is %d bytes, want %d; first difference at %d", tt.name, len(lit), len(tt.want), firstDiff(lit, tt.want))
		}
		if tail != ")\r\n" {
			t.Errorf("%s: response ends %q", tt.name, tail)
		}
	}

	// Two sections, and the other data items, in one response.
	_ = r.nc.SetDeadline(time.Now().Add(10 * time.Second))
	r.send(fmt.Sprintf("g FETCH %d (RFC822.SIZE BINARY.SIZE[] BODY.PEEK[]<7.3> BODY.PEEK[TEXT]<0.6>)\r\n", appended))
	got := string(readUntilTagged(t, r, "g"))
	want := fmt.Sprintf("%sRFC822.SIZE %d BODY[]<7> {3}\r\n%s BODY[TEXT]<0> {6}\r\n%s BINARY.SIZE[] %d)\r\ng OK FETCH completed\r\n",
		pre, n, raw[7:10], body[:6], n)
	if got != want {
		t.Errorf("several items:\n got %q\nwant %q", got, want)
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// readUntilTagged reads responses, literals included, up to and including
// the line tagged tag.
func readUntilTagged(t *testing.T, r *rawConn, tag string) []byte {
	t.Helper()
	var out []byte
	for {
		l := r.line()
		out = append(out, l...)
		if size, ok := literalSize(l); ok {
			lit := make([]byte, size)
			if _, err := io.ReadFull(r.br, lit); err != nil {
				t.Fatalf("reading a %d-byte literal: %v", size, err)
			}
			out = append(out, lit...)
			continue
		}
		if strings.HasPrefix(l, tag+" ") {
			return out
		}
	}
}

// TestFetchSeen: BODY[] and BODY[TEXT], partial or not, set \Seen;
// BODY.PEEK[] does not, nor does BINARY[] (imapmemserver sets \Seen for
// BODY sections only, and the fake keeps that).
func TestFetchSeen(t *testing.T) {
	t.Parallel()
	raw := positionalMessage(5000)
	tests := []struct {
		item string
		seen bool
	}{
		{"BODY[]<0.10>", true},
		{"BODY.PEEK[]<0.10>", false},
		{"BODY[]", true},
		{"BODY.PEEK[]", false},
		{"BODY[TEXT]<3.4>", true},
		{"RFC822", true},
		{"RFC822.PEEK", false},
		{"BINARY[]<0.10>", false},
		{"BINARY.PEEK[]<0.10>", false},
	}
	for _, tt := range tests {
		t.Run(tt.item, func(t *testing.T) {
			t.Parallel()
			srv := fakeserver.New(t, fakeserver.WithMode(fakeserver.ModePlaintext))
			appendMessages(t, srv, raw)
			r := openInbox(t, srv)
			_, _, _, more := fetchLiteralUpdates(t, r, fmt.Sprintf("FETCH %d (%s)", appended, tt.item))
			// imapmemserver tells the fetching session too.
			var wantMore []string
			if tt.seen {
				wantMore = []string{fmt.Sprintf("* %d FETCH (UID %d FLAGS (\\Seen))\r\n", appended, appended)}
			}
			if !slices.Equal(more, wantMore) {
				t.Errorf("after FETCH %s: %q, want %q", tt.item, more, wantMore)
			}

			// A second session sees the flags as stored.
			other := openInbox(t, srv)
			other.send(fmt.Sprintf("h FETCH %d (FLAGS)\r\n", appended))
			got := strings.Join(other.until("h "), "")
			flags := ""
			if tt.seen {
				flags = `\Seen`
			}
			want := fmt.Sprintf("* %d FETCH (UID %d FLAGS (%s))\r\nh OK FETCH completed\r\n", appended, appended, flags)
			if got != want {
				t.Errorf("flags after FETCH %s:\n got %q\nwant %q", tt.item, got, want)
			}
		})
	}
}

// odd messages for the comparison with imapmemserver: each takes another
// path through the header parser or the BINARY decoder.
var oddMessages = [][]byte{
	// LF line endings: the header imapserver writes back is not the stored one.
	[]byte("From: lf@example.test\nSubject: bare LF\n\nline one\nline two\n"),
	// base64: BINARY[] is decoded.
	[]byte("From: b64@example.test\r\nSubject: base64\r\nContent-Type: application/octet-stream\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\nSGVsbG8sIGJpbmFyeSB3b3JsZCEgVGhpcyBpcyBkZWNvZGVkLg==\r\n"),
	// quoted-printable text.
	[]byte("From: qp@example.test\r\nSubject: qp\r\nContent-Type: text/plain; charset=utf-8\r\n" +
		"Content-Transfer-Encoding: quoted-printable\r\n\r\nGr=C3=BC=C3=9Fe, soft=\r\nbreak\r\n"),
	// A charset go-message cannot convert: BINARY[] is empty.
	[]byte("From: latin@example.test\r\nSubject: latin1\r\nContent-Type: text/plain; charset=iso-8859-1\r\n" +
		"Content-Transfer-Encoding: 8bit\r\n\r\nGr\xfc\xdfe\r\n"),
	// Folded and odd header lines.
	[]byte("From: fold@example.test\r\nSubject: a folded\r\n  subject line\r\nX-Empty:\r\nX-Tabbed:\tvalue \r\n\r\nbody\r\n"),
	// A nested message inside a multipart.
	[]byte("From: nest@example.test\r\nSubject: nested\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\npreamble\r\n--outer\r\n" +
		"Content-Type: text/plain\r\n\r\nfirst part\r\n--outer\r\nContent-Type: message/rfc822\r\n\r\n" +
		"From: inner@example.test\r\nSubject: inner\r\n\r\ninner body\r\n--outer--\r\nepilogue\r\n"),
	// No blank line after the header, then no header at all.
	[]byte("Subject: header only\r\n"),
	[]byte("no header here, just text\r\n"),
	// Only a header and the blank line.
	[]byte("Subject: empty body\r\n\r\n"),
}

// fetchScript is a session of FETCHes covering whole-message sections
// (written from the stored bytes) and every other item (imapmemserver's),
// with \Seen changes a second session hears about.
var fetchScript = []string{
	"FETCH 1:* (BODY.PEEK[]<0.64>)",
	"FETCH 1:* (UID RFC822.SIZE BODY.PEEK[])",
	"FETCH 1:* (BODY.PEEK[TEXT]<3.40> BODY.PEEK[HEADER])",
	"FETCH 1:* (BINARY.PEEK[] BINARY.SIZE[])",
	"FETCH 1:* (BINARY.PEEK[]<10.30> BINARY.PEEK[1] BINARY.SIZE[1])",
	"FETCH 1:* (BODY.PEEK[1] BODY.PEEK[1.MIME] BODY.PEEK[2]<2.5> BODY.PEEK[2.HEADER])",
	"FETCH 1:* (BODY.PEEK[1] BODY.PEEK[]<0.10> BODY.PEEK[HEADER.FIELDS (Subject From)] BODY.PEEK[HEADER.FIELDS.NOT (Subject)]<2.30>)",
	"FETCH 1:* (ENVELOPE BODYSTRUCTURE FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[]<5.10>)",
	"FETCH 1:* FULL",
	"FETCH 1:* (BODY RFC822.HEADER BODY.PEEK[]<1.2>)",
	"UID FETCH 1:* (BODY.PEEK[]<0.1>)",
	"UID FETCH *:8 (BODY.PEEK[TEXT]<0.8>)",
	"FETCH *:10 (BODY.PEEK[]<0.8>)",
	"FETCH 6,2,4 (RFC822.PEEK)",
	"FETCH 3 (RFC822.HEADER RFC822.TEXT)",
	"FETCH 5 (BODY[]<0.20>)",
	"NOOP",
	"FETCH 5 (FLAGS)",
	"SEARCH RETURN (SAVE) SUBJECT nested",
	"FETCH $ (BODY.PEEK[]<0.16> FLAGS)",
	"FETCH 1:4 (BODY[] FLAGS)",
	"FETCH 7 (BODY[1]<0.4>)",
	"UID FETCH 99 (BODY[])",
	"FETCH 1:* (FLAGS)",
}

var internalDateRE = regexp.MustCompile(`INTERNALDATE "[^"]*"`)

// runFetchScript runs fetchScript on a fresh server holding oddMessages
// after the seeded ones, while a second session watches INBOX, and returns
// both transcripts (INTERNALDATE masked: appended messages get the time of
// day).
func runFetchScript(t *testing.T) (main, watcher []byte) {
	t.Helper()
	srv := fakeserver.New(t, fakeserver.WithMode(fakeserver.ModePlaintext))
	appendMessages(t, srv, oddMessages...)
	w := openInbox(t, srv)
	r := openInbox(t, srv)
	var out bytes.Buffer
	for i, cmd := range fetchScript {
		tag := "t" + strconv.Itoa(i)
		_ = r.nc.SetDeadline(time.Now().Add(10 * time.Second))
		r.send(tag + " " + cmd + "\r\n")
		out.WriteString("C: " + tag + " " + cmd + "\r\n")
		out.Write(readUntilTagged(t, r, tag))
	}
	_ = w.nc.SetDeadline(time.Now().Add(10 * time.Second))
	w.send("w NOOP\r\n")
	watched := readUntilTagged(t, w, "w")
	return internalDateRE.ReplaceAll(out.Bytes(), []byte(`INTERNALDATE "-"`)), watched
}

// TestFetchSameBytesAsImapmemserver: with whole-message sections written
// from the stored bytes, every response of fetchScript, and what another
// session hears, is byte for byte what imapmemserver alone answers (the
// fake before this path existed). Not parallel: it switches the path.
func TestFetchSameBytesAsImapmemserver(t *testing.T) {
	if !fakeserver.FetchMirrorsMatch() {
		t.Fatal("the stored-bytes path is off (mirrors do not match imapmemserver): nothing to compare")
	}
	restore := fakeserver.SetFetchFromStore(false)
	wantMain, wantWatch := runFetchScript(t)
	restore()
	gotMain, gotWatch := runFetchScript(t)

	if !bytes.Equal(gotMain, wantMain) {
		gl, wl := bytes.SplitAfter(gotMain, []byte("\n")), bytes.SplitAfter(wantMain, []byte("\n"))
		for i := range max(len(gl), len(wl)) {
			var g, w []byte
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if !bytes.Equal(g, w) {
				t.Fatalf("transcripts differ at line %d:\n got %q\nwant %q", i+1, g, w)
			}
		}
	}
	if !bytes.Equal(gotWatch, wantWatch) {
		t.Errorf("the watching session heard:\n%q\nwant\n%q", gotWatch, wantWatch)
	}
	// The comparison means something only if the script did its work.
	for _, want := range []string{
		"BODY[]<0> {64}\r\n", "BINARY[] ~{", "BODY[TEXT]<3> {40}\r\n", "BINARY.SIZE[] ",
		"BODY[1] {", "ENVELOPE (", "BODYSTRUCTURE (", `FLAGS (\Seen)`, "t19 OK", "t23 OK",
	} {
		if !bytes.Contains(gotMain, []byte(want)) {
			t.Errorf("transcript lacks %q", want)
		}
	}
	if n := bytes.Count(gotWatch, []byte(`FLAGS (\Seen)`)); n < 5 {
		t.Errorf("the watching session heard %d \\Seen updates, want at least 5:\n%q", n, gotWatch)
	}
}

// TestFetchPartialDoesNotCopyMessage: a partial FETCH of a large message
// allocates far less than the message (imapmemserver alone copies all of
// it per FETCH, which the same measure shows). Not parallel: it measures
// the process's allocations and switches the path.
func TestFetchPartialDoesNotCopyMessage(t *testing.T) {
	const size, fetches = 16 << 20, 3
	raw := positionalMessage(size)
	srv := fakeserver.New(t, fakeserver.WithMode(fakeserver.ModePlaintext))
	appendMessages(t, srv, raw)
	r := openInbox(t, srv)
	cmd := fmt.Sprintf("FETCH %d (BODY.PEEK[]<1000.4096>)", appended)
	measure := func() uint64 {
		fetchLiteral(t, r, cmd) // warm up
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range fetches {
			_, lit, _ := fetchLiteral(t, r, cmd)
			if !bytes.Equal(lit, raw[1000:5096]) {
				t.Fatalf("wrong %d-byte literal", len(lit))
			}
		}
		runtime.ReadMemStats(&after)
		return (after.TotalAlloc - before.TotalAlloc) / fetches
	}
	perFetch := measure()
	restore := fakeserver.SetFetchFromStore(false)
	upstream := measure()
	restore()
	t.Logf("allocated per FETCH of 4 KiB of a %d-byte message: %d bytes from the stored bytes, %d through imapmemserver", size, perFetch, upstream)
	if perFetch > 1<<20 {
		t.Errorf("a partial FETCH allocated %d bytes, want under 1 MiB", perFetch)
	}
	if upstream < size {
		t.Errorf("imapmemserver's FETCH allocated %d bytes, under the message's %d: the measure is wrong", upstream, size)
	}
}

// TestFetchWhileAppending: FETCHes from the stored bytes stay whole while
// another goroutine appends to the same mailbox (and, under -race, show
// that the fake reads imapmemserver's list under its lock).
func TestFetchWhileAppending(t *testing.T) {
	t.Parallel()
	srv := fakeserver.New(t, fakeserver.WithMode(fakeserver.ModePlaintext))
	r := openInbox(t, srv)
	name, _ := srv.User()
	const adds = 40
	var wg sync.WaitGroup
	wg.Add(1)
	errs := make(chan error, adds)
	go func() {
		defer wg.Done()
		for i := range adds {
			if err := srv.Append(name, "INBOX", positionalMessage(2000+i)); err != nil {
				errs <- err
			}
		}
	}()
	for i := range 20 {
		tag := "p" + strconv.Itoa(i)
		_ = r.nc.SetDeadline(time.Now().Add(10 * time.Second))
		r.send(tag + " FETCH 1:* (BODY.PEEK[]<0.12>)\r\n")
		got := readUntilTagged(t, r, tag)
		if !bytes.HasSuffix(got, []byte(tag+" OK FETCH completed\r\n")) {
			t.Fatalf("FETCH %d: %q", i, got)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// Everything appended is there, and each starts as it should.
	_ = r.nc.SetDeadline(time.Now().Add(10 * time.Second))
	r.send("q FETCH 1:* (BODY.PEEK[]<0.12>)\r\n")
	got := string(readUntilTagged(t, r, "q"))
	if n := strings.Count(got, "BODY[]<0> {12}\r\nFrom: Big Se)"); n != adds {
		t.Errorf("%d of %d appended messages fetched:\n%s", n, adds, got)
	}
}
