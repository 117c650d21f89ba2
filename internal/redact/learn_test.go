package redact

import (
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
)

// TestLearning: a learning session that was told no secret takes the
// credential from the client line that carries it, so the server's echo
// of it, raw or encoded, is masked; a session that does not learn lets
// the echo through (the test sees the difference), and Peek teaches
// nothing.
func TestLearning(t *testing.T) {
	t.Parallel()
	const secret = "Learn-Canary/93x"
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	lit := "{" + strconv.Itoa(len(secret)) + "}\r\n" + secret
	cases := []struct {
		name   string
		client []string
	}{
		{"LOGIN atom", []string{"a LOGIN alice " + secret}},
		{"LOGIN quoted", []string{`a LOGIN "alice" "` + secret + `"`}},
		{"LOGIN literal", []string{"a LOGIN {5}\r\nalice " + lit}},
		{"LOGIN non-synchronising literal", []string{"a LOGIN alice {" + strconv.Itoa(len(secret)) + "+}\r\n" + secret}},
		{"LOGIN lone argument", []string{"a LOGIN " + secret}},
		{"PLAIN initial response", []string{"a AUTHENTICATE PLAIN " + b64("\x00alice\x00"+secret)}},
		{"PLAIN continuation", []string{"a AUTHENTICATE PLAIN", b64("admin\x00alice\x00" + secret)}},
		{"LOGIN mechanism", []string{"a AUTHENTICATE LOGIN", b64("alice"), b64(secret)}},
		{"LOGIN mechanism, user as IR", []string{"a AUTHENTICATE LOGIN " + b64("alice"), b64(secret)}},
		{"XOAUTH2", []string{"a AUTHENTICATE XOAUTH2 " + b64("user=alice\x01auth=Bearer "+secret+"\x01\x01")}},
		{"OAUTHBEARER", []string{"a AUTHENTICATE OAUTHBEARER", b64("n,a=alice,\x01host=h\x01auth=Bearer " + secret + "\x01\x01")}},
	}
	echoes := []string{
		"a NO [AUTHENTICATIONFAILED] wrong password " + secret,
		"* BAD you said " + strings.ToUpper(secret),
		"a NO token " + b64(secret) + " expired",
		"* OK " + b64("\x00alice\x00"+secret),
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, learn := range []bool{true, false} {
				s := NewSession().Fresh()
				if learn {
					s = NewSession().FreshLearning()
				}
				for _, l := range tc.client {
					if got := s.Line(Client, []byte(l)); strings.Contains(got, secret) {
						t.Fatalf("client line %q masked as %q", l, got)
					}
				}
				for _, e := range echoes {
					got := s.Line(Server, []byte(e))
					leaked := leakedForm(got, secret) != "" || strings.Contains(got, b64(secret)[:20])
					if learn && leaked || !learn && got != e {
						t.Errorf("learn=%v: echo %q gave %q", learn, e, got)
					}
				}
				if got := s.Scrub("note: " + secret); (got == "note: "+Marker) != learn {
					t.Errorf("learn=%v: Scrub gave %q", learn, got)
				}
			}
		})
	}
	t.Run("IMAP quoting undone", func(t *testing.T) {
		t.Parallel()
		s := NewSession().FreshLearning()
		s.Line(Client, []byte(`a LOGIN alice "ab\"cd\\ef"`))
		if got := s.Scrub(`NO ab"cd\ef`); got != "NO "+Marker {
			t.Errorf("Scrub gave %q", got)
		}
	})
	t.Run("a token past the cut", func(t *testing.T) {
		t.Parallel()
		// an OAuth token longer than the tap keeps: the line is cut
		// inside it, so only its start is learnt, and an echo of the
		// whole token loses its tail too
		token := "eyJ0eXAiOiJKV1Qi." + strings.Repeat("Zm9vYmFy-_", 150) + ".sig"
		line := "a AUTHENTICATE XOAUTH2 " + b64("user=alice\x01auth=Bearer "+token+"\x01\x01")
		s := NewSession().FreshLearning()
		s.LineCut(Client, []byte(line[:1024]))
		for _, echo := range []string{"a NO token " + token + " expired", `* BAD {"token":"` + token + `"}`} {
			got := s.Line(Server, []byte(echo))
			if strings.Contains(got, token[len(token)-40:]) || strings.Contains(got, token[:40]) {
				t.Errorf("echo %q gave %q", echo[:60], got)
			}
			if !strings.Contains(got, Marker) || !strings.HasSuffix(got, "expired") && !strings.HasSuffix(got, `"}`) {
				t.Errorf("echo masked as %q: want the text around the token kept", got)
			}
		}
	})
	t.Run("at most maxLearnt secrets", func(t *testing.T) {
		t.Parallel()
		s := NewSession("seeded-secret").FreshLearning()
		s.Line(Client, []byte("a LOGIN alice "+secret))
		for i := range maxLearnt {
			s.Line(Client, []byte("a LOGIN alice other-pw-"+strconv.Itoa(i)))
		}
		// learnt again: moved to the newest, forgetting nothing
		s.Line(Client, []byte("a LOGIN alice other-pw-3"))
		want := "seeded-secret other-pw-0 other-pw-3"
		if got := s.Scrub(want + " " + secret); got != strings.Repeat(Marker+" ", 3)+secret {
			t.Errorf("Scrub gave %q: want only the oldest learnt forgotten", got)
		}
	})
	t.Run("Peek teaches nothing", func(t *testing.T) {
		t.Parallel()
		s := NewSession().FreshLearning()
		s.Peek(Client, []byte("a LOGIN alice "+secret))
		if got := s.Scrub(secret); got != secret {
			t.Errorf("after Peek, Scrub gave %q", got)
		}
		s.Line(Client, []byte("a LOGIN alice "+secret))
		if got := s.Scrub(secret); got != Marker {
			t.Errorf("after Line, Scrub gave %q", got)
		}
	})
	t.Run("the parent does not learn", func(t *testing.T) {
		t.Parallel()
		parent := NewSession("seeded-secret")
		s := parent.FreshLearning()
		s.Line(Client, []byte("a LOGIN alice "+secret))
		if got := parent.Scrub(secret + " seeded-secret"); got != secret+" "+Marker {
			t.Errorf("parent Scrub gave %q", got)
		}
		if got := parent.Fresh().Scrub(secret); got != secret {
			t.Errorf("a sibling learnt: %q", got)
		}
	})
}

// TestLearningAfterRefusedAuthenticate: an AUTHENTICATE the server never
// took up (no tag; found by FuzzLearn) must not hold the session in an
// exchange, or the real one after it is read as a SASL response and its
// password is never learnt.
func TestLearningAfterRefusedAuthenticate(t *testing.T) {
	t.Parallel()
	for name, refusal := range map[string]string{"tagged": "a NO done", "untagged BAD": "* BAD Error in IMAP command received by server."} {
		s := NewSession().FreshLearning()
		s.Line(Client, []byte(" AUTHENTICATE"))
		s.Line(Server, []byte(refusal))
		const pw = "Refused-Canary-77"
		s.Line(Client, []byte("b AUTHENTICATE PLAIN "+b64("\x00alice\x00"+pw)))
		if out := s.Scrub("NO wrong password " + pw); strings.Contains(out, pw) {
			t.Errorf("%s: the echo keeps the password: %q", name, out)
		}
	}
}
