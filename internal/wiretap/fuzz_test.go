package wiretap

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/imapprobe/imapprobe/internal/redact"
)

// fuzzLimits are small, so that the fuzzer reaches every bound.
var fuzzLimits = Limits{MaxLine: 512, MaxLiteral: 4096, MaxLines: 50, MaxText: 200}

// fuzzRun feeds data to a fresh splitter in chunks whose sizes come from
// seed (0: all at once), checking the memory bounds after every chunk.
func fuzzRun(t *testing.T, data []byte, seed uint64, side redact.Side, enforce bool) ([]string, error) {
	red := redact.NewSession(redact.Encodings("alice", canary)...)
	rec := New(time.Now(), fuzzLimits, red)
	sp := &splitter{rec: rec, side: side, enforce: enforce}
	rnd := rand.New(rand.NewPCG(seed, seed>>7))
	var err error
	for p := data; len(p) > 0 && err == nil; {
		n := len(p)
		if seed != 0 {
			n = min(n, 1+rnd.IntN([]int{2, 8, 64, 700}[rnd.IntN(4)]))
		}
		err = sp.feed(p[:n])
		p = p[n:]
		if c := cap(sp.line.buf); c > sp.bufCap() {
			t.Fatalf("line buffer of %d bytes over its %d bound", c, sp.bufCap())
		}
		if u := sp.undo; u != nil && cap(u.buf) > sp.bufCap() {
			t.Fatalf("undo buffer of %d bytes", cap(u.buf))
		}
	}
	if err == nil {
		sp.flush()
	}
	if n := rec.Len(); n > fuzzLimits.MaxLines {
		t.Fatalf("%d lines kept, over %d", n, fuzzLimits.MaxLines)
	}
	lines := texts(rec.Lines(0))
	for _, l := range lines {
		if len(l) > fuzzLimits.MaxText+64 {
			t.Fatalf("line of %d bytes over the %d text bound", len(l), fuzzLimits.MaxText)
		}
		if strings.Contains(strings.ToLower(l), strings.ToLower(canary)) {
			t.Fatalf("the canary survived: %q", l)
		}
	}
	return lines, err
}

// FuzzSplitter: random bytes in random chunk sizes never panic, give the
// transcript (and limit error) they give at once, keep memory within
// Limits, never show a registered secret, and frame literals as
// LiteralSize does, which the readers above the tap use.
func FuzzSplitter(f *testing.F) {
	for _, seed := range []string{
		// issue 16 item 7
		"* LIST () \"/\" {12}\r\nAb{99999999}\r\nT1 OK done\r\n",
		"* LIST () \"/\" {6}\r\nAb{40}\r\n* LIST () \"/\" INBOX\r\nT1 OK done\r\n",
		"a LOGIN alice {12}\r\nAb{99999999}\r\nb NOOP\r\n",
		"a LOGIN alice {4}\r\n{20}\r\nb NOOP\r\n",
		"* 1 FETCH (A {2}\r\nab B {3}\r\nxyz)\r\nT1 OK\r\n",
		// CR without LF, and CR at a chunk end before an announcement
		"* OK a\rb\r\n* OK {3}\rxx\r\n* OK {99999999}\rx\r\n",
		"* OK \r\r\n\n{0}\r\n\r\n",
		// the secret, and a literal announced past the kept bytes
		"* OK " + canary + " " + strings.ToUpper(canary) + "\r\n+ " + b64s(canary) + "\r\n",
		"a LOGIN \"" + strings.Repeat("u", 1100) + "\" {8}\r\npassword\r\nb NOOP\r\n",
		"* OK " + strings.Repeat("x", 600) + "\r\n",
		"* OK {5000}\r\n",
	} {
		f.Add([]byte(seed), uint64(3), false)
		f.Add([]byte(seed), uint64(77), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, seed uint64, client bool) {
		side := redact.Server
		if client {
			side = redact.Client
		}
		whole, werr := fuzzRun(t, data, 0, side, true)
		parts, perr := fuzzRun(t, data, seed|1, side, true)
		var wl, pl *LimitError
		if errors.As(werr, &wl) != errors.As(perr, &pl) || (werr == nil) != (perr == nil) {
			t.Fatalf("error at once %v, in chunks %v", werr, perr)
		}
		if wl != nil && (wl.What != pl.What || wl.What == "literal" && wl.Size != pl.Size) {
			t.Fatalf("limit error at once %+v, in chunks %+v", wl, pl)
		}
		if strings.Join(whole, "\n") != strings.Join(parts, "\n") {
			t.Fatalf("at once:\n%s\nin chunks:\n%s", strings.Join(whole, "\n"), strings.Join(parts, "\n"))
		}
		// own output is never limited, but still bounded
		if _, err := fuzzRun(t, data, seed, side, false); err != nil {
			t.Fatalf("own output failed: %v", err)
		}
		// the tracker agrees with LiteralSize on every physical line
		for _, seg := range bytes.Split(data, []byte("\n")) {
			var a announce
			a.feed(seg)
			want, wok := LiteralSize(bytes.TrimSuffix(seg, []byte("\r")))
			if got, ok := a.size(); got != want || ok != wok {
				t.Fatalf("%q: tracker (%d, %v), LiteralSize (%d, %v)", seg, got, ok, want, wok)
			}
		}
	})
}

// escapeRef is Escape as it was before its ASCII fast path, rune by rune.
func escapeRef(s string, limit int) string {
	var b strings.Builder
	for i, r := range s {
		if limit > 0 && b.Len() >= limit {
			fmt.Fprintf(&b, "…(+%d bytes)", len(s)-i)
			break
		}
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		case unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// FuzzEscape: Escape gives what the rune-by-rune reference gives.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"plain", "a1 OK \x1b[31mred\r\n", "bad\xffbyte", "\u202egnp.exe\u200b\ufeff", "\U000e0001tag", "csi\u009b", "emoji 📬 中文"} {
		f.Add(s, uint8(0))
		f.Add(s, uint8(5))
	}
	f.Fuzz(func(t *testing.T, s string, limit uint8) {
		if got, want := Escape(s, int(limit)), escapeRef(s, int(limit)); got != want {
			t.Fatalf("Escape(%q, %d) = %q, want %q", s, limit, got, want)
		}
	})
}
