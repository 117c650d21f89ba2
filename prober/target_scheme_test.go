package prober

import (
	"regexp"
	"testing"
)

// The patterns imapScheme and leadingScheme implement by hand.
var (
	imapSchemePattern    = regexp.MustCompile(`(?i)^(imaps?):`)
	leadingSchemePattern = regexp.MustCompile(`(?i)^(?:[a-z][a-z0-9+.-]*:[/\\]*|imaps?[/\\]+)`)
)

// checkSchemeScanners compares the scanners with the patterns on ASCII
// input. On other bytes the patterns' Unicode case folding (ſ for s, K
// for k) can match where the scanners do not, which only makes
// looksLikePassword and shown more careful.
func checkSchemeScanners(t *testing.T, s string) {
	t.Helper()
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return
		}
	}
	if got, want := imapScheme(s), imapSchemePattern.FindString(s); got != want {
		t.Errorf("imapScheme(%q) = %q, the pattern finds %q", s, got, want)
	}
	if got, want := leadingScheme(s), leadingSchemePattern.FindString(s); got != want {
		t.Errorf("leadingScheme(%q) = %q, the pattern finds %q", s, got, want)
	}
}

func TestSchemeScanners(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "i", "imap", "imaps", "imap:", "imaps:", "IMAPS:", "ImApS:/x", "imaps://a@b", "imaps//a", "imap\\\\h",
		"imapsx:", "imapsx/", "imaps:\\\\h", "a:", "a1+.-:", "1a:", "-a:", "a:b", "alice:pw@h", "imsp://h", "imaps", "imaps/", "imap/",
		"imaps:x@h", "x@y", ":", "/", "imaps s:", "imaP:", "http://h", "z9:", "Z:"} {
		checkSchemeScanners(t, s)
	}
}

func FuzzSchemeScanners(f *testing.F) {
	for _, s := range []string{"imaps://alice@h/INBOX", "imaps:/a:b@h", "imap//x", "IMAPS:\\\\h", "a+b.c-d://"} {
		f.Add(s)
	}
	f.Fuzz(checkSchemeScanners)
}
