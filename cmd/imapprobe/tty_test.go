package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/imapprobe/imapprobe/internal/testkit"
	pt "github.com/imapprobe/imapprobe/prober/probertest"
)

// openPTY returns the controlling (master) and terminal (slave) ends of a
// new pseudo-terminal.
func openPTY(t *testing.T) (master, tty *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(); m.Close() })
	return m, s
}

// drain collects what the program writes to the terminal.
func drain(m *os.File) *testkit.Buffer {
	var buf testkit.Buffer
	go func() { _, _ = io.Copy(&buf, m) }()
	return &buf
}

func TestColourOnlyOnATerminalWithoutNoColor(t *testing.T) {
	srv := (&pt.Server{Pass: "pw", Implicit: tlsConfig(t)}).Start(t)
	url := fmt.Sprintf("imaps://alice@127.0.0.1:%d/INBOX", srv.Port())
	ca := caFile(t)
	for _, noColor := range []string{"", "1"} {
		m, tty := openPTY(t)
		out := drain(m)
		env := map[string]string{"IMAPPROBE_PASSWORD": "pw", "NO_COLOR": noColor, "TERM": "xterm"}
		var errOut bytes.Buffer
		code := run([]string{"--ca-file", ca, url}, func(k string) string { return env[k] }, strings.NewReader(""), tty, &errOut)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut.String())
		}
		got := out.WaitFor(t, "exit 0")
		if coloured := strings.Contains(got, "\x1b["); coloured != (noColor == "") {
			t.Errorf("NO_COLOR=%q: colour %v in %q", noColor, coloured, got)
		}
	}
}

func TestPasswordPromptDoesNotEcho(t *testing.T) {
	srv := (&pt.Server{Pass: "prompted-secret", Implicit: tlsConfig(t)}).Start(t)
	url := fmt.Sprintf("imaps://alice@127.0.0.1:%d/INBOX", srv.Port())
	m, tty := openPTY(t)
	echo := drain(m)
	var out, errOut testkit.Buffer
	done := make(chan int)
	go func() {
		done <- run([]string{"--ca-file", caFile(t), url}, func(string) string { return "" }, tty, &out, &errOut)
	}()
	errOut.WaitFor(t, "Password for alice@127.0.0.1: ")
	if _, err := m.WriteString("prompted-secret\n"); err != nil {
		t.Fatal(err)
	}
	if code := <-done; code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errOut.String())
	}
	time.Sleep(50 * time.Millisecond)
	if strings.Contains(echo.String(), "prompted-secret") || strings.Contains(out.String()+errOut.String(), "prompted-secret") {
		t.Errorf("the password was echoed: terminal %q", echo.String())
	}
}

// TestEmptyPasswordAtPromptIsRefused: Enter at the prompt is no
// credentials, not an OK that never tested login.
func TestEmptyPasswordAtPromptIsRefused(t *testing.T) {
	srv := (&pt.Server{Pass: "pw", Implicit: tlsConfig(t)}).Start(t)
	url := fmt.Sprintf("imaps://alice@127.0.0.1:%d/INBOX", srv.Port())
	m, tty := openPTY(t)
	drain(m)
	for _, asJSON := range []bool{false, true} {
		args := []string{"--ca-file", caFile(t), url}
		if asJSON {
			args = append(args, "--json")
		}
		var out, errOut testkit.Buffer
		done := make(chan int)
		go func() { done <- run(args, func(string) string { return "" }, tty, &out, &errOut) }()
		errOut.WaitFor(t, "Password for alice@127.0.0.1: ")
		if _, err := m.WriteString("\n"); err != nil {
			t.Fatal(err)
		}
		var code int
		select {
		case code = <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("no exit after an empty password")
		}
		want := "imapprobe: empty password at the prompt: type the password, or use --quit-after capability to check only the connection\n"
		if code != 2 || !strings.HasSuffix(errOut.String(), want) || (out.String() != "") == !asJSON {
			t.Errorf("json=%v: exit %d\nstdout %q\nstderr %q", asJSON, code, out.String(), errOut.String())
		}
	}
	if cmds := srv.Commands(); len(cmds) > 0 {
		t.Errorf("the server got %v", cmds)
	}
}
