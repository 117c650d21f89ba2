package wiretap

import (
	"strings"
	"testing"
	"time"

	"github.com/imapprobe/imapprobe/internal/redact"
)

// benchStream is a server's side of a short session: short status lines,
// list lines with a name literal, a small and a large FETCH literal.
var benchStream = func() []byte {
	var b strings.Builder
	b.WriteString("* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN AUTH=XOAUTH2 ID IDLE] ready\r\n")
	for i := range 200 {
		switch i % 4 {
		case 0:
			b.WriteString("* LIST (\\HasNoChildren) \"/\" {12}\r\nArchive/2024\r\n")
		case 1:
			b.WriteString("* 1 FETCH (FLAGS (\\Seen) UID 42 BODY[HEADER.FIELDS (SUBJECT)] {20}\r\nSubject: hello\r\n\r\n)\r\n")
		case 2:
			b.WriteString("* 2 FETCH (BODY[] {300}\r\n" + strings.Repeat("x", 300) + ")\r\n")
		default:
			b.WriteString("a12 OK [READ-ONLY] EXAMINE completed (0.001 + 0.000 secs).\r\n")
		}
	}
	return []byte(b.String())
}()

// BenchmarkSplitter feeds benchStream in 4 KiB reads (as a bufio.Reader
// above the tap reads) to a fresh recorder whose session knows a password
// and a token, as the prober's does.
func BenchmarkSplitter(b *testing.B) {
	var secrets []string
	secrets = append(secrets, redact.Encodings("alice@example.com", "correct horse battery")...)
	secrets = append(secrets, redact.Encodings("alice@example.com", "ya29.a0AfH6SMBx-token-value-1234567890")...)
	red := redact.NewSession(secrets...)
	b.SetBytes(int64(len(benchStream)))
	b.ReportAllocs()
	for b.Loop() {
		rec := New(time.Now(), DefaultLimits(), red)
		s := &splitter{rec: rec, side: redact.Server, enforce: true}
		for p := benchStream; len(p) > 0; {
			n := min(len(p), 4096)
			if err := s.feed(p[:n]); err != nil {
				b.Fatal(err)
			}
			p = p[n:]
		}
		if rec.Len() != 201 {
			b.Fatalf("%d lines", rec.Len())
		}
	}
}
