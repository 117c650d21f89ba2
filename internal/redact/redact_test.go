package redact

import (
	"encoding/base64"
	"strings"
	"testing"
)

func TestStructuralMasking(t *testing.T) {
	t.Parallel()
	type line struct {
		side Side
		in   string
		want string
	}
	cases := []struct {
		name  string
		lines []line
	}{
		{"login atom", []line{{Client, "a1 LOGIN alice s3cret", "a1 LOGIN alice " + Marker}}},
		{"login quoted with escapes", []line{{Client, `a1 LOGIN "alice smith" "pa\"ss word"`, `a1 LOGIN "alice smith" ` + Marker}}},
		{"login literal user and password", []line{{Client, "a1 LOGIN {5}\r\nalice {8}\r\npassword", "a1 LOGIN {5}\r\nalice " + Marker}}},
		{"login literal+ password", []line{{Client, "a1 login alice {8+}\r\npassword", "a1 login alice " + Marker}}},
		{"login unparsable", []line{{Client, `a1 LOGIN "unterminated secret`, "a1 LOGIN " + Marker}}},
		{"sasl-ir", []line{{Client, "T1 AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==", "T1 AUTHENTICATE PLAIN " + Marker}}},
		{"continuations until the tagged answer", []line{
			{Client, "T1 AUTHENTICATE XOAUTH2", "T1 AUTHENTICATE XOAUTH2"},
			{Server, "+ ", "+ "},
			{Client, "dXNlcj1hbGljZQFhdXRoPUJlYXJlciB0b2sBAQ==", Marker},
			{Server, "+ eyJzdGF0dXMiOiI0MDEifQ==", "+ eyJzdGF0dXMiOiI0MDEifQ=="},
			{Client, "AQ==", Marker},
			{Server, "* OK still going", "* OK still going"},
			{Client, "*", "*"},
			{Server, "T1 NO [AUTHENTICATIONFAILED] no", "T1 NO [AUTHENTICATIONFAILED] no"},
			{Client, "T2 LIST \"\" *", "T2 LIST \"\" *"},
		}},
		{"bye ends the exchange", []line{
			{Client, "T1 AUTHENTICATE PLAIN", "T1 AUTHENTICATE PLAIN"},
			{Server, "* BYE go away", "* BYE go away"},
			{Client, "T2 LOGOUT", "T2 LOGOUT"},
		}},
		{"other commands untouched", []line{{Client, "a1 SELECT INBOX", "a1 SELECT INBOX"}, {Server, "* OK [CAPABILITY IMAP4rev1]", "* OK [CAPABILITY IMAP4rev1]"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := NewSession()
			for _, l := range tc.lines {
				if got := s.Line(l.side, []byte(l.in)); got != l.want {
					t.Errorf("Line(%q) = %q, want %q", l.in, got, l.want)
				}
			}
		})
	}
}

// On the server side the roles swap: the server reads the client's lines.
func TestServerSideUse(t *testing.T) {
	t.Parallel()
	s := NewSession()
	if got := s.Line(Client, []byte("x LOGIN bob hunter2")); got != "x LOGIN bob "+Marker {
		t.Errorf("got %q", got)
	}
}

func TestKnownSecretsAreScrubbed(t *testing.T) {
	t.Parallel()
	enc := Encodings("alice", "tok-123")
	s := NewSession(enc...)
	for _, e := range enc {
		if got := s.Line(Server, []byte("T1 BAD echo "+e)); strings.Contains(got, e) {
			t.Errorf("secret form %q survived: %q", e, got)
		}
		if got := s.Scrub("error: " + e); strings.Contains(got, e) {
			t.Errorf("Scrub kept %q", e)
		}
	}
	// a server challenge that quotes the token back is masked whole
	s.Line(Client, []byte("T1 AUTHENTICATE XOAUTH2"))
	echo := "+ " + base64.StdEncoding.EncodeToString([]byte(`{"status":"401","token":"tok-123"}`))
	if got := s.Line(Server, []byte(echo)); got != "+ "+Marker {
		t.Errorf("challenge quoting the token: got %q", got)
	}
	if got := s.Line(Server, []byte("+ eyJzdGF0dXMiOiI0MDEifQ==")); got != "+ eyJzdGF0dXMiOiI0MDEifQ==" {
		t.Errorf("a challenge without a secret was changed: %q", got)
	}
	if got := NewSession("ab").Line(Server, []byte("* OK about")); got != "* OK about" {
		t.Errorf("a very short secret masked unrelated text: %q", got)
	}
	if Encodings("alice", "") != nil {
		t.Errorf("an empty secret must yield no encodings")
	}
}
