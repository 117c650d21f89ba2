package prober

import (
	"net/url"
	"strings"
	"testing"
)

// TestParseURLNeverQuotesPassword: a password in the URL, in any shape a
// typo can give (one slash, no slash, a '/', '#', '?' or '@' inside the
// password, an invalid escape), is refused, and no piece of it appears in
// the error.
func TestParseURLNeverQuotesPassword(t *testing.T) {
	t.Parallel()
	const pw = "Canary7PW"
	shapes := []string{
		"imaps://alice:%s@mail.example.com/INBOX",
		"imaps:/alice:%s@mail.example.com/",
		"imaps:alice:%s@mail.example.com/",
		"imaps:///alice:%s@mail.example.com/",
		"imaps//alice:%s@mail.example.com/",
		`imaps:\\alice:%s@mail.example.com/`,
		"IMAP:/alice:%s@mail.example.com/",
		"imsp://alice:%s@mail.example.com/",
		"alice:%s@mail.example.com",
		"//alice:%s@mail.example.com",
		"imaps://alice:%s@mail.exa mple.com/",
		"imaps://alice:%s@mail.example.com:/",
		"imaps://alice:%s@mail.example.com/INBOX?x=1",
		"imaps://my user:%s@mail.example.com/",
		"imaps://alice:%s@@mail.example.com/",
		"imaps://alice@x:%s@mail.example.com/",
		"imaps://mail.example.com/x?alice:%s@y",
	}
	passwords := []string{pw, pw + "/x9", "12/" + pw, "12#" + pw, "12?" + pw, pw + "%zz", "p@" + pw, pw + " x", "1#2/" + pw}
	for _, shape := range shapes {
		for _, p := range passwords {
			raw := strings.Replace(shape, "%s", p, 1)
			target, err := ParseURL(raw)
			if err == nil {
				t.Errorf("ParseURL(%q) = %+v, want an error", raw, target)
				continue
			}
			msg := err.Error()
			if strings.Contains(msg, pw) || strings.Contains(msg, "\n") {
				t.Errorf("ParseURL(%q) error quotes the password: %s", raw, msg)
			}
			if !strings.HasPrefix(msg, "password in URL refused") {
				t.Errorf("ParseURL(%q) error = %s, want the password refused", raw, msg)
			}
		}
	}
}

// TestParseURLAtSign: a ':' before an '@' is not always a password: the
// port of a URL whose user or mailbox holds an '@' is fine.
func TestParseURLAtSign(t *testing.T) {
	t.Parallel()
	good := map[string]Target{
		"imaps://alice@mail.example.com:993/a@b":                     {Host: "mail.example.com", Port: 993, TLS: TLSImplicit, User: "alice", Mailbox: "a@b"},
		"imaps://mail.example.com:993/shared/bob@example.com/INBOX":  {Host: "mail.example.com", Port: 993, TLS: TLSImplicit, Mailbox: "shared/bob@example.com/INBOX"},
		"imaps://mail.example.com:993/bob@example.com":               {Host: "mail.example.com", Port: 993, TLS: TLSImplicit, Mailbox: "bob@example.com"},
		"imap://localhost:1143/bob@example.com":                      {Host: "localhost", Port: 1143, TLS: TLSStartTLS, Mailbox: "bob@example.com"},
		"imaps://[::1]:993/bob@example.com":                          {Host: "::1", Port: 993, TLS: TLSImplicit, Mailbox: "bob@example.com"},
		"imaps://alice%3Ab@mail.example.com/":                        {Host: "mail.example.com", Port: 993, TLS: TLSImplicit, User: "alice:b"},
		"imaps://alice%40example.com@mail.example.com:993/x%40y%3Az": {Host: "mail.example.com", Port: 993, TLS: TLSImplicit, User: "alice@example.com", Mailbox: "x@y:z"},
	}
	for raw, want := range good {
		if got, err := ParseURL(raw); err != nil || got != want {
			t.Errorf("ParseURL(%q) = %+v, %v; want %+v", raw, got, err, want)
		}
	}
	// host "alice", port 12, mailbox "ss@host": the password 12/ss
	if _, err := ParseURL("imaps://alice:12/ss@mail.example.com/"); err == nil || !strings.HasPrefix(err.Error(), "password in URL refused") {
		t.Errorf("imaps://alice:12/ss@mail.example.com/: error %v, want the password refused", err)
	}
}

// TestParseURLHints: typos get a line saying what to write instead of
// net/url's own words.
func TestParseURLHints(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"imaps://my user@mail.example.com/INBOX": `user name "my user" in the URL must be percent-encoded: write my%20user@`,
		"imap://Jane Doe@mail.example.com/":      `write Jane%20Doe@`,
		"imaps:/alice@mail.example.com/INBOX":    `"imaps:/alice@mail.example.com/INBOX" lacks the // after the scheme: write "imaps://alice@mail.example.com/INBOX"`,
		// IMAP:X@host may be USER:PASSWORD@host: X is not quoted (FuzzTarget)
		"IMAP:alice@mail.example.com":        `the URL lacks the // after "IMAP:": write "imap://USER@mail.example.com", with the user name for USER`,
		"imaps:Fz9-canary@h":                 `write "imaps://USER@h"`,
		"imaps://al%zzice@mail.example.com/": `bad URL: invalid URL escape "%zz"`,
		"imaps://mail.example.com:993/x?y":   `unexpected query or fragment in URL "imaps://mail.example.com:993/x?y"`,
	}
	for raw, want := range cases {
		_, err := ParseURL(raw)
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "net/url") {
			t.Errorf("ParseURL(%q) error = %v, want it to contain %q", raw, err, want)
		}
	}
	// the suggested user name parses back to the same user
	if _, err := ParseURL("imaps://my%20user@mail.example.com/INBOX"); err != nil {
		t.Errorf("the suggested form fails: %v", err)
	}
}

// FuzzParseURL: whatever surrounds USER:PASSWORD@, ParseURL never returns
// a target or an error that holds the password.
func FuzzParseURL(f *testing.F) {
	f.Add("imaps://", "alice", "Canary7PW", "mail.example.com/INBOX")
	f.Add("imaps:/", "alice", "12/Canary7PW", "h/")
	f.Add("imaps://", "al ice", "12#Canary7PW", "h:/x?y")
	f.Add("", "alice", "Canary7PW%zz", "[::1]:993/a@b")
	f.Add("imap:", "a@b", "1?2/Canary7PW", "h.example:1/x@y")
	f.Fuzz(func(t *testing.T, prefix, user, pw, rest string) {
		// a distinctive password: one an error could not hold by chance
		if len(pw) < 8 || strings.Contains(prefix+user+rest, pw) || strings.ContainsAny(pw, ":@") {
			return
		}
		// "imap" + ":" + PW@host reads as the scheme imap: and the user
		// PW, which the error may quote: not a password by any reading.
		if w := strings.ToLower(prefix + user); w == "imap" || w == "imaps" {
			return
		}
		// a user with / ? or # ends the authority before the colon: what
		// follows is a path, query or fragment, never userinfo
		if strings.ContainsAny(user, "/?#") {
			return
		}
		raw := prefix + user + ":" + pw + "@" + rest
		target, err := ParseURL(raw)
		out := strings.Join([]string{target.Host, target.User, target.Mailbox, target.ConnectAddr}, " ")
		if err != nil {
			out += err.Error()
		}
		for _, piece := range []string{pw, url.PathEscape(pw), url.QueryEscape(pw)} {
			if len(piece) >= 8 && strings.Contains(out, piece) {
				t.Fatalf("ParseURL(%q) shows the password: %q", raw, out)
			}
		}
	})
}
