package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/imapprobe/imapprobe/prober"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestServeUsage: bad flags and files give one line and exit 2.
func TestServeUsage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yml")
	if err := os.WriteFile(bad, []byte("modules:\n  default:\n    tls: implicit\n    passwd_file: /x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "good.yml")
	if err := os.WriteFile(good, []byte("modules:\n  default: {}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"serve"}, "imapprobe serve: --config FILE is required: a YAML file with a modules: section (see README.md)\n"},
		{[]string{"serve", "--config"}, "imapprobe serve: --config needs a value; run imapprobe serve --help\n"},
		{[]string{"serve", "--nope"}, "imapprobe serve: unknown flag --nope; run imapprobe serve --help\n"},
		{[]string{"serve", "--config", good, "imaps://h"}, "imapprobe serve: unexpected argument \"imaps://h\"; targets come with each /probe request\n"},
		{[]string{"serve", "--config", good, "--max-concurrent", "0"}, "imapprobe serve: --max-concurrent 0: want 1 or more\n"},
		{[]string{"serve", "--config", good, "--log-level", "loud"}, "imapprobe serve: --log-level \"loud\": want debug, info, warn or error\n"},
		{[]string{"serve", "--config", filepath.Join(dir, "none.yml")}, "imapprobe serve: cannot read the configuration: open " + filepath.Join(dir, "none.yml") + ": no such file or directory\n"},
		{[]string{"serve", "--config", bad}, "imapprobe serve: " + bad + ": line 4: unknown key \"passwd_file\": valid keys are tls, port, ca_file, insecure_skip_verify, server_name, auth, user, mailbox, select, quit_after, timeout, step_timeout, slow, expiry_warning, max_fetch, allow_plaintext_auth, allow_weak_tls, strict, password_file, password_env, token_file, token_env, token_cmd, users\n"},
		{[]string{"serve", "--config", good, "--listen", "127.0.0.1:99999"}, "imapprobe serve: --listen 127.0.0.1:99999: listen tcp: address 99999: invalid port\n"},
	}
	for _, c := range cases {
		var out, errOut bytes.Buffer
		code := runServe(t.Context(), c.args[1:], func(string) string { return "" }, &out, &errOut)
		if code != prober.ExitUsage || errOut.String() != c.want || out.Len() != 0 {
			t.Errorf("%q: exit %d, stderr %q, stdout %q\nwant exit 2, stderr %q", c.args, code, errOut.String(), out.String(), c.want)
		}
	}
	var out bytes.Buffer
	if code := runServe(t.Context(), []string{"--help"}, func(string) string { return "" }, &out, io.Discard); code != 0 || !strings.HasPrefix(out.String(), "usage: imapprobe serve --config FILE") {
		t.Errorf("--help: exit %d\n%s", code, out.String())
	}
}
