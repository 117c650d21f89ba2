package wiretap

import (
	"encoding/base64"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/imapprobe/imapprobe/internal/redact"
)

const canary = "Wire-Canary/7Qx"

func b64s(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// shows returns how out still shows secret (or a part of it, for a line
// that was cut): raw or in another case, behind \/ or \u escapes, or
// base64 at any alignment in any base64 run; "" when it does not.
func shows(out, secret string) string {
	low := strings.ToLower(secret)
	has := func(s string) bool {
		s = strings.NewReplacer(`\/`, "/", `\u002f`, "/").Replace(strings.ToLower(s))
		return strings.Contains(s, low)
	}
	if has(out) {
		return "raw"
	}
	isB64 := func(r rune) bool {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '+' || r == '/'
	}
	for _, run := range strings.FieldsFunc(out, func(r rune) bool { return !isB64(r) }) {
		for off := 0; off < 4 && off < len(run); off++ {
			p := run[off:]
			if raw, err := base64.RawStdEncoding.DecodeString(p[:len(p)/4*4]); err == nil && has(string(raw)) {
				return "base64 " + run
			}
		}
	}
	return ""
}

// echoShapes are the places a broken server puts a secret back.
func echoShapes(secret string) map[string]string {
	up := strings.ToUpper(secret)
	slashed := strings.ReplaceAll(secret, "/", `\/`)
	lit := func(s string) string { return "{" + strconv.Itoa(len(s)) + "}\r\n" + s }
	return map[string]string{
		"raw in a NO":                "T1 NO bad password " + secret,
		"upper-cased capabilities":   "* CAPABILITY IMAP4rev1 X-" + up,
		"mailbox name":               `* LIST () "/" "` + secret + `"`,
		"mailbox name literal":       `* LIST () "/" ` + lit(up),
		"special-use name":           `* LIST (\Archive \` + up + `) "/" Archive`,
		"flags":                      `* 1 FETCH (FLAGS (\Seen ` + up + `))`,
		"subject literal":            "* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT)] " + lit("Subject: "+up+"\r\n\r\n") + ")",
		"message-id":                 "* 1 FETCH (ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL \"<" + secret + "@x>\"))",
		"base64 in a NO":             "T1 NO " + b64s(secret),
		"base64 of JSON in a NO":     "T1 NO " + b64s(`{"tok":"`+secret+`"}`),
		"continuation after LOGIN":   "+ " + b64s(secret),
		"challenge JSON with \\/":    "+ " + b64s(`{"status":"invalid","token":"`+slashed+`"}`),
		"challenge JSON key":         "+ " + b64s(`{"`+secret+`":"invalid"}`),
		"challenge upper-cased JSON": "+ " + b64s(`{"STATUS":"INVALID","TOKEN":"`+up+`"}`),
		"raw JSON key with \\/":      `T1 NO {"` + slashed + `":1}`,
	}
}

// TestCanaryNeverInOutputs feeds each echo shape to a tapped connection
// on the prober's side (the server echoes) and on the fake's side (its
// client echoes, and it writes the shape itself), and checks every output
// the package gives: transcript lines, Scrub, Pending and LimitError
// (issue 16 item 3).
func TestCanaryNeverInOutputs(t *testing.T) {
	t.Parallel()
	for name, shape := range echoShapes(canary) {
		for _, local := range []redact.Side{redact.Client, redact.Server} {
			t.Run(name+map[redact.Side]string{redact.Client: " (prober)", redact.Server: " (fake)"}[local], func(t *testing.T) {
				t.Parallel()
				red := redact.NewSession(redact.Encodings("alice", canary)...)
				rec := New(time.Now(), DefaultLimits(), red)
				a, b := net.Pipe()
				t.Cleanup(func() { a.Close(); b.Close() })
				conn := rec.Tap(a, local)
				// the whole shape, then its start without a line end:
				// Pending sees a line still arriving
				in := shape + "\r\n" + shape[:len(shape)-3]
				go func() { _, _ = io.WriteString(b, in); _, _ = io.Copy(io.Discard, b) }()
				_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
				if _, err := io.ReadFull(conn, make([]byte, len(in))); err != nil {
					t.Fatal(err)
				}
				if _, err := io.WriteString(conn, shape+"\r\n"); err != nil {
					t.Fatal(err)
				}
				pending, _ := conn.Pending()
				outs := map[string]string{"pending": pending, "scrub": red.Scrub(shape), "note": func() string { rec.Note("%s", shape); return rec.Last(Info) }()}
				a.Close()
				_, _ = conn.Read(make([]byte, 1)) // records the partial line
				for i, l := range rec.Lines(0) {
					outs["line "+strconv.Itoa(i)] = l.String()
				}
				if len(outs) != 3+4 {
					t.Errorf("%d outputs: %q", len(outs), outs)
				}
				for what, out := range outs {
					if leak := shows(out, canary); leak != "" {
						t.Errorf("%s shows the canary (%s): %q", what, leak, out)
					}
				}
				if p := shows(pending, canary[:8]); p != "" {
					t.Errorf("pending shows the canary's start (%s): %q", p, pending)
				}
			})
		}
	}
}

// TestLimitErrorsHideTheCanary: the head a LimitError quotes is masked
// before it is cut, so neither a secret nor its start shows, wherever it
// falls around the cut; a client's unregistered LOGIN password too.
func TestLimitErrorsHideTheCanary(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 70<<10)
	cases := []struct {
		name   string
		side   redact.Side
		data   string
		hidden string
	}{
		{"line, secret first", redact.Server, "* OK " + canary + long, canary},
		{"line, upper-cased", redact.Server, "* OK " + strings.ToUpper(canary) + long, canary},
		{"line, base64", redact.Server, "* OK " + b64s(canary) + " " + long, canary},
		{"line, continuation", redact.Server, "+ " + b64s(`{"token":"`+canary+`"}`) + long, canary},
		{"line, LOGIN password", redact.Client, "a LOGIN alice Unseeded-PW-9 " + long, "Unseeded-PW-9"},
		{"literal, secret before the announcement", redact.Server, "* OK " + canary + " {1073741824}\r\n", canary},
		{"literal, LOGIN password before it", redact.Client, "a LOGIN alice Unseeded-PW-9 {1073741824}\r\n", "Unseeded-PW-9"},
	}
	for i := 70; i <= 82; i++ { // the head is 80 bytes
		cases = append(cases, struct {
			name   string
			side   redact.Side
			data   string
			hidden string
		}{"line, secret across the cut at " + strconv.Itoa(i), redact.Server, "* OK " + strings.Repeat("x", i-5) + canary + long, canary[:6]})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			red := redact.NewSession(redact.Encodings("alice", canary)...)
			for _, n := range []int{0, 1000} {
				_, err := feedAll(tc.side, red, DefaultLimits(), []byte(tc.data), n)
				var lerr *LimitError
				if !errors.As(err, &lerr) {
					t.Fatalf("err %v, want a LimitError", err)
				}
				if leak := shows(lerr.Error(), tc.hidden); leak != "" {
					t.Errorf("chunks of %d: %q shows %q (%s)", n, lerr.Error(), tc.hidden, leak)
				}
				if leak := shows(lerr.Head, tc.hidden[:6]); leak != "" {
					t.Errorf("chunks of %d: head %q shows the start of %q", n, lerr.Head, tc.hidden)
				}
			}
		})
	}
}

// TestCutLinesHideTheCanary: a line longer than what the transcript keeps
// (the fake's 1 KiB, Limits.MaxLine 0) is masked as cut: a secret across
// the cut leaves no prefix; so is a line the connection ends in.
func TestCutLinesHideTheCanary(t *testing.T) {
	t.Parallel()
	lim := Limits{MaxLines: 100}
	for at := 1024 - len(canary); at <= 1024; at++ {
		red := redact.NewSession(redact.Encodings("alice", canary)...)
		line := "* OK " + strings.Repeat("x", at-5) + canary + strings.Repeat("y", 100) + "\r\n"
		got, err := feedAll(redact.Server, red, lim, []byte(line), 0)
		if err != nil || len(got) != 1 {
			t.Fatalf("at %d: %v %q", at, err, got)
		}
		if leak := shows(got[0], canary[:2]); leak != "" && at < 1024-1 {
			t.Errorf("secret at %d: %q shows its start (%s)", at, got[0][max(0, len(got[0])-60):], leak)
		}
		if !strings.Contains(got[0], "…(+") {
			t.Errorf("at %d: not shown as cut: %q", at, got[0][len(got[0])-40:])
		}
	}
	red := redact.NewSession(redact.Encodings("alice", canary)...)
	rec := New(time.Now(), DefaultLimits(), red)
	sp := &splitter{rec: rec, side: redact.Server, enforce: true}
	_ = sp.feed([]byte("* OK " + canary[:9]))
	sp.flush()
	if l := rec.Lines(0); len(l) != 1 || shows(l[0].Text, canary[:6]) != "" || !l[0].Incomplete {
		t.Errorf("incomplete line: %+v", l)
	}
}
