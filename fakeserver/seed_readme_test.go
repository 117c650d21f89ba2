package fakeserver_test

import (
	"os"
	"strings"
	"testing"

	"github.com/imapprobe/imapprobe/fakeserver"
)

// TestREADMESeed: the JSON of README.md's "Seeding" section loads, and an
// imapclient sees exactly the text block that follows it.
func TestREADMESeed(t *testing.T) {
	t.Parallel()
	const section = "## Seeding"
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	jsonBlock, ok1 := fencedBlock(string(readme), section, "json")
	want, ok2 := fencedBlock(string(readme), section, "text")
	if !ok1 || !ok2 {
		t.Fatalf("README.md: no ```json and ```text blocks under %q", section)
	}
	seed, err := fakeserver.ParseSeed("README.md.json", []byte(jsonBlock))
	if err != nil {
		t.Fatal(err)
	}
	srv := fakeserver.New(t, fakeserver.WithSeed(seed))
	if got := observe(t, srv, "alice", "canary-readme"); got != want+"\n" {
		t.Errorf("README.md's seed is seen as:\n%s\nthe README says:\n%s", got, want)
	}
}

// fencedBlock returns the first ```lang block after the heading, before
// the next heading of its level.
func fencedBlock(doc, heading, lang string) (string, bool) {
	_, rest, ok := strings.Cut(doc, "\n"+heading+"\n")
	if !ok {
		return "", false
	}
	if end := strings.Index(rest, "\n## "); end >= 0 {
		rest = rest[:end]
	}
	_, rest, ok = strings.Cut(rest, "\n```"+lang+"\n")
	if !ok {
		return "", false
	}
	block, _, ok := strings.Cut(rest, "\n```\n")
	return block, ok
}
