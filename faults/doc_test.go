package faults

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite README.md's fault grammar and Parse's form table from Grammar")

// The generated blocks: README.md's fault grammar, and the form table in
// Parse's documentation, each between two fixed texts.
const (
	readmePath  = "../README.md"
	readmeStart = "<!-- fault-grammar -->\n```\n"
	readmeEnd   = "```\n<!-- /fault-grammar -->"
	parsePath   = "parse.go"
	parseStart  = "// or an IMAP command name, \"UID FETCH\" style, or several joined by \"|\"):\n//\n"
	parseEnd    = "//\n// with scope:"
)

// splice replaces what lies between start and end in text by block.
func splice(path, text, start, end, block string) (string, error) {
	i := strings.Index(text, start)
	j := strings.Index(text[max(i, 0):], end) + max(i, 0)
	if i < 0 || j < i+len(start) {
		return "", fmt.Errorf("%s lacks the generated block between %q and %q; the markers moved?", path, start, end)
	}
	return text[:i+len(start)] + block + text[j:], nil
}

// parseDocTable is the form table of Parse's documentation: Grammar with
// examples, as a doc comment's code block.
func parseDocTable() string {
	var b strings.Builder
	for line := range strings.SplitSeq(strings.TrimSuffix(grammar(true), "\n"), "\n") {
		b.WriteString("//\t" + line + "\n")
	}
	return b.String()
}

// checkGenerated compares a file's generated block with want, rewriting
// it under -update.
func checkGenerated(t *testing.T, path, start, end, want string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	spliced, err := splice(path, string(data), start, end, want)
	if err != nil {
		t.Fatal(err)
	}
	if *update && spliced != string(data) {
		if err := os.WriteFile(path, []byte(spliced), 0o644); err != nil {
			t.Fatal(err)
		}
		data = []byte(spliced)
	}
	if string(data) != spliced {
		t.Errorf("%s: the generated fault grammar is out of date; regenerate it with: go test ./faults -run TestREADMEGrammar -update\nwant:\n%s", path, want)
	}
	return string(data)
}

// TestREADMEGrammar: README.md's fault grammar is Grammar, Parse's
// documentation lists exactly the same forms, in order, and every form's
// example there parses. -update regenerates both from the registry.
func TestREADMEGrammar(t *testing.T) {
	src := checkGenerated(t, parsePath, parseStart, parseEnd, parseDocTable())
	readme := checkGenerated(t, readmePath, readmeStart, readmeEnd, Grammar())

	_, doc, _ := strings.Cut(src, "// of UTF-8. Every form")
	doc, _, _ = strings.Cut(doc, "// with scope:")
	row := regexp.MustCompile(`(?m)^//\t(\S.*?\S)\s{2,}(\S.*)$`)
	var forms []string
	for _, m := range row.FindAllStringSubmatch(doc, -1) {
		forms = append(forms, m[1])
		if _, err := Parse(m[2]); err != nil {
			t.Errorf("Parse doc example %q: %v", m[2], err)
		}
	}
	if len(forms) < 15 {
		t.Fatalf("found %d forms in Parse's doc; the table moved?", len(forms))
	}
	block := regexp.MustCompile("(?s)<!-- fault-grammar -->\n```\n(.*?)```\n<!-- /fault-grammar -->").FindStringSubmatch(readme)
	if block == nil {
		t.Fatal("README.md has no <!-- fault-grammar --> block")
	}
	if got, want := strings.TrimSpace(block[1]), strings.Join(forms, "\n"); got != want {
		t.Errorf("README grammar:\n%s\nwant (from Parse's doc):\n%s", got, want)
	}
}

// TestRegistry: every registered kind is named as its faults say, and
// every form's example parses to a fault of that kind that writes the
// example back.
func TestRegistry(t *testing.T) {
	t.Parallel()
	for name, k := range kinds {
		if got := k.zero().Kind(); got != name {
			t.Errorf("kind %q registered, but its faults say Kind() = %q", name, got)
		}
		for _, fm := range k.forms {
			f, err := Parse(fm.example)
			switch {
			case err != nil:
				t.Errorf("kind %s: form %s: example %q: %v", name, fm.syntax, fm.example, err)
			case f.Kind() != name || f.Spec() != fm.example:
				t.Errorf("kind %s: example %q reads back as %s %q", name, fm.example, f.Kind(), f.Spec())
			case !strings.HasPrefix(fm.syntax, name+":"):
				t.Errorf("kind %s: form %q does not start with %s:", name, fm.syntax, name)
			}
		}
	}
	if lines := strings.Count(Grammar(), "\n"); lines < len(kinds) {
		t.Errorf("Grammar has %d lines for %d kinds", lines, len(kinds))
	}
}

// namedFault is a fault type whose Kind is what the test says.
type namedFault struct {
	scoped
	kind string
}

func (f *namedFault) Kind() string       { return f.kind }
func (f *namedFault) Spec() string       { return f.kind }
func (f *namedFault) check() *fieldError { return nil }

// uncheckedFault has no check method, which validate needs.
type uncheckedFault struct{ scoped }

func (*uncheckedFault) Kind() string { return "unchecked" }
func (*uncheckedFault) Spec() string { return "unchecked" }

// TestRegisterRefusesDuplicates: a second kind of the same name, or one
// badly named or without forms, panics at init rather than shadowing or
// hiding a kind. (Not parallel: a register that failed to panic would
// write the registry.)
func TestRegisterRefusesDuplicates(t *testing.T) {
	delay := kinds["delay"]
	for _, tt := range []struct {
		proto Fault
		forms []form
	}{
		{new(Delay), delay.forms},
		{&namedFault{kind: "Upper"}, delay.forms},
		{&namedFault{kind: ""}, delay.forms},
		{&namedFault{kind: "noforms"}, nil},
		{new(uncheckedFault), delay.forms},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("register(%q) did not panic", tt.proto.Kind())
				}
			}()
			register(tt.proto, delay.parse, tt.forms...)
		}()
	}
	if kinds["noforms"] != nil || kinds["unchecked"] != nil || kinds["delay"] != delay {
		t.Errorf("a refused kind changed the registry")
	}
}
