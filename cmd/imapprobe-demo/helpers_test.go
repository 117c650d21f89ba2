package main

import (
	"bytes"
	"github.com/imapprobe/imapprobe/internal/testkit"
	"strings"
	"testing"
)

type result struct {
	code           int
	stdout, stderr string
}

// invoke runs the command in a UTF-8 locale unless env names one.
func invoke(args []string, env map[string]string) result {
	var out, errOut bytes.Buffer
	code := run(args, testkit.UTF8Env(env), &out, &errOut)
	return result{code, out.String(), errOut.String()}
}

// TestPlainDemoIsASCII: with LC_ALL=C the demo's table and its verbose
// report are ASCII, with words for marks.
func TestPlainDemoIsASCII(t *testing.T) {
	t.Parallel()
	env := map[string]string{"LC_ALL": "C", "LANG": "en_US.UTF-8"}
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"table", []string{"--scenario", "cert-expired"}, []string{"OK", "1/1 scenarios"}},
		{"verbose", []string{"--scenario", "cert-expired", "-v"}, []string{"-- scenario cert-expired", "OK match"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := invoke(c.args, env)
			all := r.stdout + r.stderr
			for i := 0; i < len(all); i++ {
				if all[i] > 0x7F {
					t.Fatalf("non-ASCII byte at %d:\n%s", i, all)
				}
			}
			for _, want := range c.want {
				if !strings.Contains(all, want) {
					t.Errorf("output lacks %q:\n%s", want, all)
				}
			}
		})
	}
}
