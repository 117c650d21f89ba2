package recording

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

const sample = Header + `
# a comment
tls implicit
user alice
step auth fail auth.failed
connected 0.001000
S 0.002000 * OK ready
C 0.003000 a1 LOGIN alice [redacted]
S! 0.004500 a1 NO [AUTH
end server
`

func TestDecodeSample(t *testing.T) {
	t.Parallel()
	r, err := Decode(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if r.TLS != "implicit" || r.User != "alice" || len(r.Lines) != 3 || r.End != EndServer || r.Connected != time.Millisecond {
		t.Fatalf("decoded %+v", r)
	}
	if l := r.Lines[2]; !l.Partial || l.Dir != Server || l.At != 4500*time.Microsecond || l.Text != "a1 NO [AUTH" {
		t.Fatalf("line 3: %+v", l)
	}
	if step, code := r.Failure(); step != "auth" || code != "auth.failed" {
		t.Fatalf("failure %s %s", step, code)
	}
	var buf bytes.Buffer
	if err := Encode(&buf, r); err != nil {
		t.Fatal(err)
	}
	first := buf.String()
	again, err := Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	var buf2 bytes.Buffer
	_ = Encode(&buf2, again)
	if buf2.String() != first {
		t.Fatalf("re-encoding differs:\n%s\n%s", first, buf2.String())
	}
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"", "recording line 1: empty: want the header"},
		{"# imapprobe recording v2\ntls none\n", `recording line 1: want the header "# imapprobe recording v1", got "# imapprobe recording v2"`},
		{Header + "\nuser alice\n", "recording line 2: no tls line"},
		{Header + "\ntls none\ntls implicit\n", "recording line 3: a second tls line"},
		{Header + "\ntls tcp\n", `recording line 2: tls "tcp": want implicit, starttls or none`},
		{Header + "\ntls none\nfrob 1\n", `recording line 3: unknown keyword "frob"`},
		{Header + "\ntls none\nS soon * OK\n", `recording line 3: time "soon": want decimal seconds`},
		{Header + "\ntls none\nS -1 * OK\n", `recording line 3: time "-1"`},
		{Header + "\ntls none\nS 1 * OK\x01\n", "recording line 3: a raw control character 0x01"},
		{Header + "\ntls none\nstep auth fail\n", "recording line 3: step auth: a failed step needs its code"},
		{Header + "\ntls none\nstep auth ok auth.failed\n", "recording line 3: step auth: status ok takes no code"},
		{Header + "\ntls none\nstep auth fail Auth\n", `recording line 3: step auth: code "Auth"`},
		{Header + "\ntls none\nend maybe\n", `recording line 3: end "maybe": want server, reset or client`},
		{Header + "\ntls none\nselect yes\n", "recording line 3: select takes no value"},
		{Header + "\ntls none\nstep-timeout 0s\n", `recording line 3: duration "0s"`},
		{Header + "\ntls none\nuser \xff\n", "recording line 3: invalid UTF-8"},
	} {
		_, err := Decode(strings.NewReader(tc.in))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Decode(%q) = %v, want one line starting %q", tc.in, err, tc.want)
		}
	}
}

func TestWire(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{`* FLAGS (\Seen \Noselect)`, `* FLAGS (\Seen \Noselect)`},
		{`* 1 FETCH (BODY[] {5}\r\nab\x00c\u200e)`, "* 1 FETCH (BODY[] {5}\r\nab\x00c\u200e)"},
		{`* 1 FETCH (BODY[] {300}\r\n[300 bytes])`, "* 1 FETCH (BODY[] {300}\r\n" + string(filler(300)) + ")"},
		{`* 1 FETCH (BODY[] {3}\r\n[300 bytes])`, "* 1 FETCH (BODY[] {3}\r\n[300 bytes])"},
		{`tab\there \xZZ \u12`, "tab\there \\xZZ \\u12"},
		{`* CAPABILITY IMAP4rev1 X…(+5 bytes)`, "* CAPABILITY IMAP4rev1 Xxxxxx"},
		{`* OK …(+x bytes)`, "* OK …(+x bytes)"},
	} {
		if got := string(Wire(tc.in)); got != tc.want {
			t.Errorf("Wire(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if f := filler(300); len(f) != 300 || bytes.Count(f, []byte("\r\n")) != 5 || !bytes.HasPrefix(f, []byte(fillerHeader)) {
		t.Errorf("filler(300): %d bytes, %d line ends: %q", len(f), bytes.Count(f, []byte("\r\n")), f)
	}
}

func TestWordAndCode(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{"plain": true, "x": true, "a1_b-c": true, "": false, "1a": false, "_a": false, "Plain": false, "a b": false, "a.b": false} {
		if got := isWord(s); got != want {
			t.Errorf("isWord(%q) = %v, want %v", s, got, want)
		}
	}
	for s, want := range map[string]bool{"auth.failed": true, "tls.cert_expired": true, "a.b": true, "auth.": false, ".failed": false, "auth": false, "auth.fail.ed": false, "au1.x": false, "auth.x1": false, "Auth.x": false, "auth._": true} {
		if got := isCode(s); got != want {
			t.Errorf("isCode(%q) = %v, want %v", s, got, want)
		}
	}
}
