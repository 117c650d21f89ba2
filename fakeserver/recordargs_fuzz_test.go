package fakeserver

import (
	"encoding/base64"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/imapprobe/imapprobe/internal/redact"
)

// FuzzRecordedArgs: whatever command line a client sends, the arguments
// recorded are valid UTF-8, bounded, and hold no seeded secret in any
// ASCII case or as base64; LOGIN's are the marker alone.
func FuzzRecordedArgs(f *testing.F) {
	const pass, token = "fuzz-pw-8c1d", "fuzz-tok-3e9a"
	db := newUserDB()
	db.add(&user{name: "alice", password: pass, tokens: []string{token}})
	srv := &Server{users: db}
	srv.redact = redact.NewSession(srv.wireSecrets()...)
	c := &conn{srv: srv, red: srv.redact.Fresh()}
	for _, seed := range []string{
		"a SELECT INBOX", "a LOGIN alice " + pass, "a AUTHENTICATE PLAIN " + base64.StdEncoding.EncodeToString([]byte("\x00alice\x00"+pass)),
		"a UID FETCH 1:* (FLAGS BODY.PEEK[])", "a SELECT " + strings.ToUpper(token), "a SELECT \"caf\xc3\"", "a APPEND INBOX {12}",
		"a SELECT " + strings.Repeat("é", 200), "a STATUS x" + pass[:5] + " " + pass[5:],
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		_, name, _, rest := parseCommand([]byte(line))
		if !knownCommands()[name] {
			return
		}
		got := c.recordedArgs(name, rest, []byte(line))
		switch {
		case !utf8.ValidString(got):
			t.Fatalf("%q: args %q are not UTF-8", line, got)
		case len(got) > maxRecordedArgs+len("..."):
			t.Fatalf("%q: args of %d bytes", line, len(got))
		case name == "LOGIN" && rest != "" && got != redact.Marker:
			t.Fatalf("%q: LOGIN args %q", line, got)
		}
		low := strings.ToLower(got)
		for _, s := range []string{pass, token} {
			for _, form := range []string{s, base64.StdEncoding.EncodeToString([]byte(s))} {
				if strings.Contains(low, strings.ToLower(form)) {
					t.Fatalf("%q: args %q hold %q", line, got, form)
				}
			}
		}
	})
}
