package cliflag

import (
	"errors"
	"flag"
	"io"
	"testing"
	"time"
)

func TestExplain(t *testing.T) {
	t.Parallel()
	wants := map[string]string{"timeout": "want a duration such as 10s"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--nope"}, "unknown flag --nope"},
		{[]string{"-x"}, "unknown flag -x"},
		{[]string{"--timeout"}, "--timeout needs a value"},
		{[]string{"--timeout", "soon"}, `--timeout "soon": want a duration such as 10s`},
		{[]string{"--count", "many"}, `--count "many": parse error`},
		{[]string{"--verbose=maybe"}, `--verbose "maybe": want true or false, or just --verbose`},
		{[]string{"-4=2"}, `-4 "2": want true or false, or just -4`},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		fs.Duration("timeout", time.Second, "")
		fs.Int("count", 0, "")
		fs.Bool("verbose", false, "")
		fs.Bool("4", false, "")
		err := fs.Parse(tc.args)
		if err == nil {
			t.Fatalf("%q parsed", tc.args)
		}
		if got := Explain(err, wants); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.args, got, tc.want)
		}
	}
	if got := Explain(errors.New("something else"), nil); got != "something else" {
		t.Errorf("other error: %q", got)
	}
}

func TestOneLine(t *testing.T) {
	t.Parallel()
	if got := OneLine("yaml: line 2:\n\tmapping values\r\n are not allowed "); got != "yaml: line 2: mapping values are not allowed" {
		t.Errorf("%q", got)
	}
}
