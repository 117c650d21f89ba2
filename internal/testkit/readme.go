package testkit

import (
	"os"
	"strings"
	"testing"
)

// READMEBlock returns the fenced block of the file at path that a test
// keeps true, marked as
//
//	<!-- NAME -->
//	```
//	...
//	```
//	<!-- /NAME -->
//
// without its fences; the test fails when there is none.
func READMEBlock(t testing.TB, path, name string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "<!-- "+name+" -->\n```\n")
	block, _, ok2 := strings.Cut(rest, "```\n<!-- /"+name+" -->")
	if !ok || !ok2 {
		t.Fatalf("%s has no %s block", path, name)
	}
	return block
}
