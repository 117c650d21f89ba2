package faults

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestREADMEGrammar: the README's fault grammar lists exactly the forms
// of Parse's documentation, in order, and every form's example there
// parses.
func TestREADMEGrammar(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("parse.go")
	if err != nil {
		t.Fatal(err)
	}
	_, doc, _ := strings.Cut(string(src), "// of UTF-8. Every form")
	doc, _, _ = strings.Cut(doc, "// with scope:")
	row := regexp.MustCompile(`(?m)^//\t(\S.*?\S)\s{2,}(\S.*)$`)
	var forms []string
	for _, m := range row.FindAllStringSubmatch(doc, -1) {
		forms = append(forms, m[1])
		examples, _, _ := strings.Cut(m[2], " (see ")
		for ex := range strings.SplitSeq(examples, ", ") {
			if _, err := Parse(ex); err != nil {
				t.Errorf("Parse doc example %q: %v", ex, err)
			}
		}
	}
	if len(forms) < 15 {
		t.Fatalf("found %d forms in Parse's doc; the table moved?", len(forms))
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile("(?s)<!-- fault-grammar -->\n```\n(.*?)```\n<!-- /fault-grammar -->").FindSubmatch(readme)
	if block == nil {
		t.Fatal("README.md has no <!-- fault-grammar --> block")
	}
	if got, want := strings.TrimSpace(string(block[1])), strings.Join(forms, "\n"); got != want {
		t.Errorf("README grammar:\n%s\nwant (from Parse's doc):\n%s", got, want)
	}
}
