package testkit

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// Binary is a command that tests run as a child process, built on first
// use and once per test binary.
type Binary struct {
	// Pkg is the package to build, as go build names it from the test's
	// directory ("." or "../imapprobe"); the file takes its last element.
	Pkg string

	once sync.Once
	dir  string
	path string
	err  error
}

// Path builds the command unless it is built already, and returns its
// path.
func (b *Binary) Path(t testing.TB) string {
	t.Helper()
	b.once.Do(b.build)
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

func (b *Binary) build() {
	abs, err := filepath.Abs(b.Pkg)
	if err != nil {
		b.err = err
		return
	}
	name := filepath.Base(abs)
	if b.dir, b.err = os.MkdirTemp("", name+"-test-"); b.err != nil {
		return
	}
	b.path = filepath.Join(b.dir, name)
	if out, err := exec.Command("go", "build", "-o", b.path, b.Pkg).CombinedOutput(); err != nil {
		b.err = fmt.Errorf("go build %s: %v\n%s", b.Pkg, err, out)
	}
}

// Remove deletes the built command. TestMain calls it after m.Run: a
// test's cleanup would delete it under -count=2, while later runs still
// use it.
func (b *Binary) Remove() {
	if b.dir != "" {
		os.RemoveAll(b.dir)
	}
}
