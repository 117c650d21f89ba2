package secret

import (
	"context"
	"errors"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// MaxCommandStderr bounds the stderr of a token command kept for showing.
const MaxCommandStderr = 4 << 10

// Errors of Command; any other is the command's own failure.
var (
	ErrOutputTooLong = errors.New("printed more than 64 KiB")
	ErrTimeout       = errors.New("did not finish in time")
	ErrInterrupted   = errors.New("interrupted")
	ErrNoOutput      = errors.New("printed nothing")
)

// Output is what a token command printed.
type Output struct {
	Printed string   // stdout, trimmed: the token if the command worked
	Stderr  *Capture // the first MaxCommandStderr bytes, not yet masked
}

// Secrets returns what to mask in stderr besides the token: what a failed
// command printed may still be a token, so each word of it long enough to
// be one (short words stay readable).
func (o Output) Secrets() []string {
	var out []string
	for _, w := range strings.Fields(o.Printed) {
		if len(w) >= 16 {
			out = append(out, w)
		}
	}
	return out
}

// Command runs /bin/sh -c command, which prints a fresh OAuth2 token, in
// a process group of its own so that a timeout, ctx or too much output
// kills everything it started, not only the shell. It returns the token
// and what the command printed; the caller shows the stderr, masked, once
// every secret is known.
func Command(ctx context.Context, command string, timeout time.Duration) (string, Output, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", command)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return killGroup(cmd) }
	stdout := &Capture{Max: Max, Fail: true}
	res := Output{Stderr: &Capture{Max: MaxCommandStderr}}
	cmd.Stdout, cmd.Stderr = stdout, res.Stderr
	// Killing the shell does not close stdout when a child of it still
	// holds the pipe (sh -c 'sleep 100 & echo tok'); WaitDelay stops
	// waiting for it.
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	// Whatever the command left running in its group goes with it.
	if cmd.Process != nil {
		_ = killGroup(cmd)
	}
	res.Printed = strings.TrimSpace(string(stdout.Buf))
	switch {
	case stdout.Over:
		return "", res, ErrOutputTooLong
	case err == nil:
	case errors.Is(err, exec.ErrWaitDelay) && cmd.ProcessState != nil && cmd.ProcessState.Success():
		// it exited successfully, but left a background process on stdout
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return "", res, ErrTimeout
	case ctx.Err() != nil:
		return "", res, ErrInterrupted
	default:
		return "", res, err
	}
	if res.Printed == "" {
		return "", res, ErrNoOutput
	}
	return res.Printed, res, nil
}

func killGroup(cmd *exec.Cmd) error {
	return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}

// Capture keeps the first Max bytes written and counts the rest. With
// Fail, a write past Max fails, which closes the pipe: a command that
// prints without end dies of SIGPIPE instead of running to the timeout.
type Capture struct {
	Max   int
	Fail  bool
	Buf   []byte
	Extra int64
	Over  bool
}

func (c *Capture) Write(p []byte) (int, error) {
	room := c.Max - len(c.Buf)
	if len(p) <= room {
		c.Buf = append(c.Buf, p...)
		return len(p), nil
	}
	c.Buf = append(c.Buf, p[:room]...)
	c.Extra += int64(len(p) - room)
	c.Over = true
	if c.Fail {
		return room, io.ErrShortWrite
	}
	return len(p), nil
}
