package redact

import (
	"encoding/base64"
	"strings"
	"testing"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// TestSecretShapes: each way a broken server echoes a registered secret
// is masked by Line (with the shape's side) and by Scrub, and leakedForm
// finds nothing in the result (issue 16 item 3).
func TestSecretShapes(t *testing.T) {
	t.Parallel()
	const user, secret = "a,b=c", "Shape-Canary/42x"
	cases := []struct {
		name, line string
		cont       bool // a continuation: Scrub alone does not decode it
	}{
		{"upper-cased capability", "T1 OK [CAPABILITY IMAP4rev1 X-" + strings.ToUpper(secret) + "] in", false},
		{"lower-cased mailbox", `* LIST () "/" "` + strings.ToLower(secret) + `"`, false},
		{"mixed-case flag", `* 1 FETCH (FLAGS (\Seen ` + "sHaPe-cAnArY/42X" + `))`, false},
		{"JSON \\/ escape in raw text", `T1 NO {"token":"Shape-Canary\/42x"}`, false},
		{"JSON \\u escape in a key", `T1 NO {"Shape-Canary\u002F42x":1}`, false},
		{"base64 alone", "T1 NO " + b64(secret), false},
		{"base64 of JSON at offset 0", "T1 NO " + b64(`{"t":"`+secret+`"}`), false},
		{"base64 of JSON at offset 1", "T1 NO " + b64(`{"tt":"`+secret+`"}`), false},
		{"base64 of JSON at offset 2", "T1 NO " + b64(`{"ttt":"`+secret+`"}`), false},
		{"base64 of JSON with \\/ in a NO", "T1 NO " + b64(`{"token":"Shape-Canary\/42x"}`), false},
		{"continuation, JSON with \\/", "+ " + b64(`{"status":"invalid","token":"Shape-Canary\/42x"}`), true},
		{"continuation, JSON key upper-cased", "+ " + b64(`{"`+strings.ToUpper(secret)+`":"x"}`), true},
		{"continuation, \\u escapes and surrogates", "+ " + b64(`{"k":"\ud83d\ude00Shape-Canary\u002f42x"}`), true},
		{"continuation, JSON cut short", "+ " + b64(`{"token":"Shape-Canary\/42x","more":`), true},
		{"continuation, unpadded", "+ " + strings.TrimRight(b64(`{"token":"Shape-Canary\/42x"}`), "="), true},
		{"continuation answering LOGIN", "+ " + b64(secret), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := NewSession(Encodings(user, secret)...)
			s.Line(Client, []byte("a1 LOGIN alice x")) // no SASL exchange
			got := s.Line(Server, []byte(tc.line))
			if leak := leakedForm(got, secret); leak != "" {
				t.Errorf("Line(%q) = %q shows the secret (%s)", tc.line, got, leak)
			}
			if !strings.Contains(got, Marker) {
				t.Errorf("Line(%q) = %q masks nothing", tc.line, got)
			}
			if tc.cont {
				if got != "+ "+Marker {
					t.Errorf("continuation: got %q, want it masked whole", got)
				}
				return
			}
			if got := s.Scrub(tc.line); leakedForm(got, secret) != "" {
				t.Errorf("Scrub(%q) = %q", tc.line, got)
			}
		})
	}
}

// TestCaseFolding: matching ignores ASCII case only, masks nothing around
// the match, and leaves secrets under minSecretLen to the structural rules.
func TestCaseFolding(t *testing.T) {
	t.Parallel()
	s := NewSession("Tok-123")
	for in, want := range map[string]string{
		"x TOK-123 y":           "x " + Marker + " y",
		"xtok-123y":             "x" + Marker + "y",
		"tOk-123tok-123":        Marker,
		"Tok-12 tok-1234":       "Tok-12 " + Marker + "4",
		"ünï TOK-123 ü":         "ünï " + Marker + " ü",
		"nothing to see here ü": "nothing to see here ü",
	} {
		if got := s.Scrub(in); got != want {
			t.Errorf("Scrub(%q) = %q, want %q", in, got, want)
		}
		if got := s.Line(Server, []byte(in)); got != want {
			t.Errorf("Line(%q) = %q, want %q", in, got, want)
		}
	}
	if got := NewSession("ab", "AB").Scrub("* OK ABOUT about"); got != "* OK ABOUT about" {
		t.Errorf("a secret under minSecretLen masked text: %q", got)
	}
}

// TestContinuationOutsideSASL: a base64 continuation that decodes to a
// secret is masked in answer to LOGIN too; other continuations are kept.
func TestContinuationOutsideSASL(t *testing.T) {
	t.Parallel()
	s := NewSession(Encodings("alice", "pw-canary-1")...)
	for _, tc := range []struct{ in, want string }{
		{"+ " + b64("pw-canary-1"), "+ " + Marker},
		{"+ " + b64("your password is PW-CANARY-1, right?"), "+ " + Marker},
		{"+ Ready for literal data", "+ Ready for literal data"},
		{"+ " + b64(`{"status":"401"}`), "+ " + b64(`{"status":"401"}`)},
		{"+", "+"},
	} {
		s.Line(Client, []byte("a1 LOGIN alice {11}"))
		if got := s.Line(Server, []byte(tc.in)); got != tc.want {
			t.Errorf("Line(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestCutLines: LineCut and Peek mask a tail that may begin a secret, in
// raw and base64 form; Peek leaves the SASL state as it was.
func TestCutLines(t *testing.T) {
	t.Parallel()
	const secret = "Cut-Canary-0042"
	s := NewSession(Encodings("alice", secret)...)
	for _, tc := range []struct {
		side Side
		in   string
	}{
		{Server, "* OK Cut-Can"},
		{Server, "* OK CUT-CANARY-00"},
		{Server, "* OK Cu"},
		{Server, "+ " + b64(`{"status":"invalid","token":"Cut-Canary-0042"}`)[:40]},
		{Server, "+ " + b64(`{"status":"invalid","token":"Cut-Canary-0042"}`)[:44]},
		{Server, "T1 NO " + b64("xx" + secret)[:12]},
		{Client, "a LOGIN alice Cut-Canary-0"},
		{Client, `a LOGIN alice "Cut-Canary-0`},
	} {
		for name, f := range map[string]func(Side, []byte) string{"LineCut": s.LineCut, "Peek": s.Peek} {
			got := f(tc.side, []byte(tc.in))
			for k := minCut; k < len(secret); k++ {
				if strings.HasSuffix(strings.ToLower(got), strings.ToLower(secret[:k])) {
					t.Errorf("%s(%q) = %q ends in a %d-byte prefix of the secret", name, tc.in, got, k)
				}
			}
			if leak := leakedForm(got, secret[:8]); leak != "" {
				t.Errorf("%s(%q) = %q shows the secret's start (%s)", name, tc.in, got, leak)
			}
		}
	}
	if got := s.LineCut(Server, []byte("* OK done")); got != "* OK done" {
		t.Errorf("a cut line without a secret changed: %q", got)
	}
	p := NewSession()
	p.Peek(Client, []byte("T1 AUTHENTICATE PLAIN"))
	if got := p.Line(Client, []byte("dGVzdA==")); got != "dGVzdA==" {
		t.Errorf("Peek started a SASL exchange: %q", got)
	}
	p.Line(Client, []byte("T1 AUTHENTICATE PLAIN"))
	p.Peek(Server, []byte("T1 OK"))
	if got := p.Line(Client, []byte("dGVzdA==")); got != Marker {
		t.Errorf("Peek ended the SASL exchange: %q", got)
	}
}

// TestOAuthBearerAuthzid: the prober escapes "," and "=" in the
// OAUTHBEARER authzid; both that form and the unescaped one are
// registered, and masked even for a secret too short for base64 inner
// forms.
func TestOAuthBearerAuthzid(t *testing.T) {
	t.Parallel()
	const user = "x,y=z"
	for _, secret := range []string{"tk9", "token-long-enough-1"} {
		enc := Encodings(user, secret)
		s := NewSession(enc...)
		for _, payload := range []string{
			"n,a=x=2Cy=3Dz,\x01auth=Bearer " + secret + "\x01\x01",
			"n,a=x,y=z,\x01auth=Bearer " + secret + "\x01\x01",
		} {
			form := b64(payload)
			found := false
			for _, e := range enc {
				found = found || e == form
			}
			if !found {
				t.Errorf("%s: Encodings lacks %q", secret, payload)
			}
			if got := s.Line(Server, []byte("T1 BAD echo "+form)); strings.Contains(got, form) || leakedForm(got, secret) != "" {
				t.Errorf("%s: echo of %q kept: %q", secret, payload, got)
			}
		}
	}
}

// TestFresh: a fresh session masks the same secrets and starts outside
// any SASL exchange.
func TestFresh(t *testing.T) {
	t.Parallel()
	s := NewSession(Encodings("alice", "fresh-canary-1")...)
	s.Line(Client, []byte("T1 AUTHENTICATE PLAIN"))
	f := s.Fresh()
	if got := f.Line(Client, []byte("T2 NOOP")); got != "T2 NOOP" {
		t.Errorf("fresh session inherited the SASL state: %q", got)
	}
	if got := f.Line(Server, []byte("* OK FRESH-CANARY-1")); got != "* OK "+Marker {
		t.Errorf("fresh session lost the secrets: %q", got)
	}
}

// BenchmarkNewSession is the cost a server pays per connection without
// Fresh, for five users each with a password and a token, and the cost
// of a line with their secrets registered.
func BenchmarkNewSession(b *testing.B) {
	var secrets []string
	for i := range 5 {
		u := "user" + string(rune('a'+i)) + "@example.com"
		secrets = append(secrets, Encodings(u, "password-"+u)...)
		secrets = append(secrets, Encodings(u, "ya29.token-for-"+u+"-0123456789")...)
	}
	// masksCanary fails b unless s masks the last user's token.
	masksCanary := func(s *Session) {
		const canary = "ya29.token-for-usere@example.com-0123456789"
		if got := s.Line(Server, []byte("* OK "+canary)); got != "* OK "+Marker {
			b.Fatalf("the canary is not masked: %q", got)
		}
	}
	b.Run("NewSession", func(b *testing.B) {
		var s *Session
		for b.Loop() {
			s = NewSession(secrets...)
		}
		masksCanary(s)
	})
	s := NewSession(secrets...)
	b.Run("Fresh", func(b *testing.B) {
		var f *Session
		for b.Loop() {
			f = s.Fresh()
		}
		masksCanary(f)
	})
	line := []byte("* 1 FETCH (FLAGS (\\Seen) UID 42 INTERNALDATE \"01-Jan-2024 00:00:00 +0000\")")
	b.Run("Line", func(b *testing.B) {
		if len(s.pats) == 0 {
			b.Fatal("no patterns registered: the search would measure nothing")
		}
		var got string
		for b.Loop() {
			got = s.Line(Server, line)
		}
		// The line holds no secret: it must come back as it is.
		if got != string(line) {
			b.Fatalf("Line changed a line without secrets: %q", got)
		}
		masksCanary(s)
		b.ReportMetric(float64(len(s.pats)), "patterns")
	})
}
