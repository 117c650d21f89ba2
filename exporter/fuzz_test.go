package exporter

import (
	"os"
	"strings"
	"testing"
)

// FuzzTarget: /probe's target is untrusted. Whatever it holds, parsing
// neither panics nor quotes a password written into it, in any shape.
func FuzzTarget(f *testing.F) {
	for _, s := range []string{"h", "h:993", "[::1]:143", "imaps://alice@h/INBOX", "imap://h", "imaps:/alice:%s@h", "alice:%s@h", "%s@h", "h:%s", "imaps://alice:%s@h:99999/x?y#z", "\x00", ":%s"} {
		f.Add(s)
	}
	cfg, err := ParseConfig(strings.NewReader("modules:\n  a: {}\n  b: {tls: starttls, user: u, port: 1143}\n"), os.Getenv)
	if err != nil {
		f.Fatal(err)
	}
	const secret = "Fz9-canary-QX7"
	f.Fuzz(func(t *testing.T, shape string) {
		raw := strings.ReplaceAll(shape, "%s", secret)
		for _, m := range cfg.Modules {
			tg, err := m.target(raw)
			// a password: after a ':' and before an '@', as in USER:PW@HOST
			_, after, colon := strings.Cut(raw, ":"+secret)
			if err != nil && strings.Contains(err.Error(), secret) && colon && strings.Contains(after, "@") {
				t.Fatalf("module %s: target %q: the error quotes the password: %v", m.name, raw, err)
			}
			if err == nil && (tg.Host == "" || tg.Port < 1 || tg.Port > 65535) {
				t.Fatalf("module %s: target %q accepted as %+v", m.name, raw, tg)
			}
		}
	})
}
