package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/imapprobe/imapprobe/prober"
	pt "github.com/imapprobe/imapprobe/prober/probertest"
)

func invokeStdin(args []string, env map[string]string, stdin io.Reader) result {
	var out, errOut bytes.Buffer
	code := run(args, func(k string) string {
		if k == "LANG" {
			return "C.UTF-8"
		}
		return env[k]
	}, stdin, &out, &errOut)
	return result{code, out.String(), errOut.String()}
}

// TestTokenCmdStderrIsMasked: what --token-cmd prints on stderr is shown,
// but never the token or the password, raw, upper-cased or in base64, nor
// the start of a token cut by the 4 KiB limit.
func TestTokenCmdStderrIsMasked(t *testing.T) {
	t.Parallel()
	stamp := strconv.FormatInt(time.Now().UnixNano(), 36)
	token := "Zq9tok" + stamp + "x"
	password := "Zq9pw" + stamp + "y"
	b64 := base64.StdEncoding.EncodeToString
	forbidden := []string{token, strings.ToUpper(token), b64([]byte(token)), password, strings.ToUpper(password), b64([]byte(password)), token[:6], stamp}
	srv := (&pt.Server{Token: token, Caps: "IMAP4rev1 AUTH=OAUTHBEARER AUTH=PLAIN SASL-IR", Implicit: tlsConfig(t)}).Start(t)
	ca := caFile(t)
	dir := t.TempDir()
	script := func(name, body string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o700); err != nil {
			t.Fatal(err)
		}
		return path
	}
	tokFile := filepath.Join(dir, "tok")
	if err := os.WriteFile(tokFile, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	pwFile := filepath.Join(dir, "pw")
	if err := os.WriteFile(pwFile, []byte(password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, body string
		code       int
		stderr     []string // wanted lines
	}{
		{"echoes", fmt.Sprintf("T=$(cat %s); P=$(cat %s)\necho \"got token $T for $P\" >&2\necho \"$T\" | tr a-z A-Z >&2\nprintf %%s \"$T\" | base64 >&2\necho hello >&2\necho \"$T\"\n", tokFile, pwFile),
			0, []string{"imapprobe: --token-cmd stderr: got token [redacted] for [redacted]", "imapprobe: --token-cmd stderr: [redacted]\n", "imapprobe: --token-cmd stderr: hello"}},
		{"fails", fmt.Sprintf("cat %s; echo \"bad $(cat %s)\" >&2; exit 3\n", tokFile, tokFile),
			prober.ExitUsage, []string{"imapprobe: --token-cmd stderr: bad [redacted]", "imapprobe: --token-cmd failed: exit status 3"}},
		{"cut at 4 KiB", fmt.Sprintf("head -c 4090 /dev/zero | tr '\\000' x >&2; cat %s >&2; echo >&2; cat %s\n", tokFile, tokFile),
			0, []string{"more bytes not shown"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			path := script(strings.ReplaceAll(c.name, " ", "-")+".sh", c.body)
			args := []string{"--host", "127.0.0.1", "--port", fmt.Sprint(srv.Port()), "--user", "alice", "--ca-file", ca,
				"--password-file", pwFile, "--token-cmd", path}
			for _, mode := range [][]string{nil, {"--json"}} {
				r := invoke(append(args, mode...), nil)
				if r.code != c.code {
					t.Fatalf("exit %d, want %d\n%s%s", r.code, c.code, r.stdout, r.stderr)
				}
				for _, f := range forbidden {
					if strings.Contains(r.stdout+r.stderr, f) {
						t.Errorf("%v: output holds %q:\n%s%s", mode, f, r.stdout, r.stderr)
					}
				}
				for _, want := range c.stderr {
					if !strings.Contains(r.stderr, want) {
						t.Errorf("%v: stderr lacks %q:\n%s", mode, want, r.stderr)
					}
				}
				if len(r.stderr) > maxTokenCmdStderr+1024 {
					t.Errorf("stderr is %d bytes, want at most about %d", len(r.stderr), maxTokenCmdStderr)
				}
			}
		})
	}
}

// TestSecretReadsAreBounded: a huge --token-file, --password-file
// /dev/zero or a --token-cmd printing 1 GiB ends in one line and exit 2,
// quickly and without reading it all. Not parallel, so that the
// allocation count is this test's own.
func TestSecretReadsAreBounded(t *testing.T) {
	dir := t.TempDir()
	huge := filepath.Join(dir, "huge")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(300 << 20); err != nil { // sparse: 300 MB of zeros, no disk
		t.Fatal(err)
	}
	f.Close()
	url := "imaps://alice@127.0.0.1:1/INBOX"
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"token file 300 MB", []string{"--token-file", huge}, "imapprobe: --token-file " + huge + " is longer than 64 KiB: give just the secret\n"},
		{"token file /dev/zero", []string{"--token-file", "/dev/zero"}, "imapprobe: --token-file /dev/zero is longer than 64 KiB: give just the secret\n"},
		{"password file /dev/zero", []string{"--password-file", "/dev/zero"}, "imapprobe: cannot read --password-file /dev/zero: longer than 64 KiB: give just the secret\n"},
		{"password file 300 MB", []string{"--password-file", huge}, "imapprobe: cannot read --password-file " + huge + ": longer than 64 KiB: give just the secret\n"},
		{"token cmd 1 GiB", []string{"--token-cmd", "head -c 1073741824 /dev/zero"}, "imapprobe: --token-cmd printed more than 64 KiB; it must print one token\n"},
		{"token cmd endless", []string{"--token-cmd", "yes"}, "imapprobe: --token-cmd printed more than 64 KiB; it must print one token\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			began := time.Now()
			r := invoke(append(c.args, url), nil)
			took := time.Since(began)
			runtime.ReadMemStats(&after)
			if r.code != prober.ExitUsage || r.stderr != c.want || r.stdout != "" {
				t.Errorf("exit %d, stderr %q, stdout %q; want 2 and %q", r.code, r.stderr, r.stdout, c.want)
			}
			if took > 10*time.Second {
				t.Errorf("took %s", took)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
				t.Errorf("allocated %d MiB", alloc>>20)
			}
		})
	}
}

// TestTokenCmdKillsItsProcessGroup: a --token-cmd that times out, or is
// interrupted, takes its children with it.
func TestTokenCmdKillsItsProcessGroup(t *testing.T) {
	t.Parallel()
	for _, interrupt := range []bool{false, true} {
		t.Run(fmt.Sprintf("interrupt=%v", interrupt), func(t *testing.T) {
			t.Parallel()
			pidFile := filepath.Join(t.TempDir(), "pid")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			timeout := 500 * time.Millisecond
			want := "--token-cmd did not finish within 500ms"
			if interrupt {
				timeout, want = time.Minute, "--token-cmd was interrupted"
				go func() {
					waitForFile(t, pidFile)
					cancel()
				}()
			}
			// the child does not hold stdout, so only a group kill ends it
			_, _, err := runTokenCmd(ctx, "sleep 60 >/dev/null 2>&1 & echo $! > "+pidFile+"; wait", timeout)
			if err == nil || !strings.HasPrefix(err.Error(), want) {
				t.Fatalf("error %v, want %q", err, want)
			}
			pid, err := strconv.Atoi(strings.TrimSpace(waitForFile(t, pidFile)))
			if err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(5 * time.Second)
			for alive(pid) {
				if time.Now().After(deadline) {
					_ = syscall.Kill(pid, syscall.SIGKILL)
					t.Fatalf("the child sleep (pid %d) outlived --token-cmd", pid)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}

func waitForFile(t *testing.T, path string) string {
	deadline := time.Now().Add(10 * time.Second)
	for {
		if b, err := os.ReadFile(path); err == nil && bytes.HasSuffix(b, []byte("\n")) {
			return string(b)
		}
		if time.Now().After(deadline) {
			t.Errorf("%s never written", path)
			return ""
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// alive reports whether pid runs: a zombie waiting for init counts as dead.
func alive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z" && fields[0] != "X"
}

// TestPasswordFromStdin: --password-file - takes the first line of
// standard input, without waiting for the rest; an empty or endless line
// is refused.
func TestPasswordFromStdin(t *testing.T) {
	t.Parallel()
	srv := (&pt.Server{Pass: "stdin-pw", Implicit: tlsConfig(t)}).Start(t)
	url := fmt.Sprintf("imaps://alice@127.0.0.1:%d/INBOX", srv.Port())
	ca := caFile(t)

	// standard input that stays open after the first line
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.Close() })
	go func() { _, _ = pw.Write([]byte("stdin-pw\r\nsecond line\n")) }()
	r := invokeStdin([]string{"--password-file", "-", "--ca-file", ca, url}, nil, pr)
	if r.code != 0 || !strings.Contains(r.stdout, "PLAIN with the password") {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	for input, want := range map[string]string{
		"\nstdin-pw\n":                     "imapprobe: --password-file -: the first line of standard input is empty: put the password on it\n",
		"":                                 "imapprobe: --password-file -: the first line of standard input is empty: put the password on it\n",
		strings.Repeat("a", 70<<10):        "imapprobe: cannot read the password from standard input (--password-file -): longer than 64 KiB: give just the secret\n",
		strings.Repeat("a", 70<<10) + "\n": "imapprobe: cannot read the password from standard input (--password-file -): longer than 64 KiB: give just the secret\n",
	} {
		r := invokeStdin([]string{"--password-file", "-", "--ca-file", ca, url}, nil, strings.NewReader(input))
		if r.code != prober.ExitUsage || r.stderr != want || strings.Contains(r.stderr, "aaaa") {
			t.Errorf("input of %d bytes: exit %d, stderr %q; want 2, %q", len(input), r.code, r.stderr, want)
		}
	}
}
