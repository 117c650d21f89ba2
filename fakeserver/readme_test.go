package fakeserver_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"
)

// TestREADMEExample: the Go block of README.md's "The fake server in Go
// tests" is the source text of Example in example_test.go, byte for byte,
// so the snippet compiles and its output is checked.
func TestREADMEExample(t *testing.T) {
	t.Parallel()
	const section = "## The fake server in Go tests"
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	got, ok := firstGoBlock(string(readme), section)
	if !ok {
		t.Fatalf("README.md: no ```go block under %q", section)
	}
	want := funcSource(t, "example_test.go", "Example")
	if got != want {
		t.Errorf("README.md's Go block under %q differs from Example in example_test.go; copy the function there.\nREADME.md:\n%s\nexample_test.go:\n%s", section, got, want)
	}
}

// firstGoBlock returns the first ```go block after the heading, before
// the next heading of its level.
func firstGoBlock(doc, heading string) (string, bool) {
	_, rest, ok := strings.Cut(doc, "\n"+heading+"\n")
	if !ok {
		return "", false
	}
	if end := strings.Index(rest, "\n## "); end >= 0 {
		rest = rest[:end]
	}
	_, rest, ok = strings.Cut(rest, "\n```go\n")
	if !ok {
		return "", false
	}
	block, _, ok := strings.Cut(rest, "\n```\n")
	return block, ok
}

// funcSource returns the source text of the function name in file, from
// "func" to its closing brace.
func funcSource(t *testing.T, file, name string) string {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, src, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range f.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Name.Name == name && fn.Recv == nil {
			return string(src[fset.Position(fn.Pos()).Offset:fset.Position(fn.End()).Offset])
		}
	}
	t.Fatalf("%s: no func %s", file, name)
	return ""
}
