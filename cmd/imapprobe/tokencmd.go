package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/imapprobe/imapprobe/internal/redact"
	"github.com/imapprobe/imapprobe/internal/wiretap"
)

// tokenCmdTimeout bounds --token-cmd, which may wait on a network or a
// person (a browser login).
const tokenCmdTimeout = 30 * time.Second

// maxTokenCmdStderr bounds the --token-cmd stderr kept and shown.
const maxTokenCmdStderr = 4 << 10

// tokenCmdOutput is what --token-cmd printed.
type tokenCmdOutput struct {
	printed string   // stdout, trimmed: the token if the command worked
	stderr  *capture // the first maxTokenCmdStderr bytes, not yet masked
}

// secrets returns what to mask in stderr besides the token: what a
// failed command printed may still be a token, so each word of it long
// enough to be one (short words stay readable).
func (o tokenCmdOutput) secrets() []string {
	var out []string
	for _, w := range strings.Fields(o.printed) {
		if len(w) >= 16 {
			out = append(out, w)
		}
	}
	return out
}

// runTokenCmd runs a command that prints a fresh OAuth2 token, in a
// process group of its own so that a timeout, a signal (ctx) or too much
// output kills everything it started, not only the shell. It returns the
// token and what the command printed; the caller shows the stderr once
// every secret is known, masked.
func runTokenCmd(ctx context.Context, command string, timeout time.Duration) (string, tokenCmdOutput, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", command)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return killGroup(cmd) }
	stdout := &capture{max: maxSecret, fail: true}
	res := tokenCmdOutput{stderr: &capture{max: maxTokenCmdStderr}}
	cmd.Stdout, cmd.Stderr = stdout, res.stderr
	// Killing the shell does not close stdout when a child of it still
	// holds the pipe (sh -c 'sleep 100 & echo tok'); WaitDelay stops
	// waiting for it.
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	// Whatever the command left running in its group goes with it.
	if cmd.Process != nil {
		_ = killGroup(cmd)
	}
	res.printed = strings.TrimSpace(string(stdout.buf))
	switch {
	case stdout.over:
		return "", res, usagef("--token-cmd printed more than %d KiB; it must print one token", maxSecret>>10)
	case err == nil:
	case errors.Is(err, exec.ErrWaitDelay) && cmd.ProcessState != nil && cmd.ProcessState.Success():
		// it exited successfully, but left a background process on stdout
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return "", res, usagef("--token-cmd did not finish within %s: check the command, or save the token and use --token-file", timeout)
	case ctx.Err() != nil:
		return "", res, usagef("--token-cmd was interrupted")
	default:
		return "", res, usagef("--token-cmd failed: %v", err)
	}
	if res.printed == "" {
		return "", res, usagef("--token-cmd printed nothing; it must print the token on stdout")
	}
	return res.printed, res, nil
}

func killGroup(cmd *exec.Cmd) error {
	return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}

// capture keeps the first max bytes written and counts the rest. With
// fail, a write past max fails, which closes the pipe: a command that
// prints without end dies of SIGPIPE instead of running to the timeout.
type capture struct {
	max   int
	fail  bool
	buf   []byte
	extra int64
	over  bool
}

func (c *capture) Write(p []byte) (int, error) {
	room := c.max - len(c.buf)
	if len(p) <= room {
		c.buf = append(c.buf, p...)
		return len(p), nil
	}
	c.buf = append(c.buf, p[:room]...)
	c.extra += int64(len(p) - room)
	c.over = true
	if c.fail {
		return room, io.ErrShortWrite
	}
	return len(p), nil
}

// showTokenCmdStderr shows what --token-cmd wrote to stderr with every
// form of the user's secrets masked, control characters escaped, and at
// most maxTokenCmdStderr bytes.
func showTokenCmdStderr(w io.Writer, said *capture, user string, secrets ...string) {
	if said == nil || len(said.buf) == 0 {
		return
	}
	text := maskSecrets(string(said.buf), user, secrets...)
	if said.over {
		text = dropSecretPrefix(text, user, secrets...)
	}
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		fmt.Fprintln(w, "imapprobe: --token-cmd stderr: "+wiretap.Escape(strings.TrimSuffix(line, "\r"), 0))
	}
	if said.over {
		fmt.Fprintf(w, "imapprobe: --token-cmd stderr: ... (%d more bytes not shown)\n", said.extra)
	}
}

// secretForms lists every form of the secrets worth masking: raw, base64
// and the SASL payloads (redact.Encodings).
func secretForms(user string, secrets ...string) []string {
	var forms []string
	for _, s := range secrets {
		if len(s) >= 3 {
			forms = append(forms, redact.Encodings(user, s)...)
		}
	}
	return forms
}

// maskSecrets replaces every form of the secrets in text, ignoring ASCII
// case: a command may print a token upper-cased.
func maskSecrets(text, user string, secrets ...string) string {
	for _, f := range secretForms(user, secrets...) {
		low, lf := asciiLower(text), asciiLower(f)
		var b strings.Builder
		for {
			i := strings.Index(low, lf)
			if i < 0 {
				break
			}
			b.WriteString(text[:i] + redact.Marker)
			text, low = text[i+len(f):], low[i+len(f):]
		}
		text = b.String() + text
	}
	return text
}

// dropSecretPrefix cuts the end of a truncated text where it could be the
// start of a secret that the truncation split.
func dropSecretPrefix(text, user string, secrets ...string) string {
	low := asciiLower(text)
	cut := len(text)
	for _, f := range secretForms(user, secrets...) {
		lf := asciiLower(f)
		for n := min(len(lf)-1, len(low)); n > 0; n-- {
			if strings.HasSuffix(low, lf[:n]) {
				cut = min(cut, len(text)-n)
				break
			}
		}
	}
	return text[:cut]
}

// asciiLower lower-cases ASCII letters only, so that byte offsets stay.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
