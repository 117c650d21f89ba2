package realservers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Process starts Dovecot from the local packages (dovecot-core,
// dovecot-imapd) as a foreground process with a generated configuration.
type Process struct {
	Binary  string // path of the dovecot master
	version string
}

// howToDovecot is the advice given when the local Dovecot is missing.
const howToDovecot = "install Dovecot 2.3 (Debian 12: apt-get install dovecot-core dovecot-imapd), " +
	"or run integration/realservers/setup.sh as root, which does that"

// NewProcess finds a Dovecot 2.3 on this machine.
func NewProcess() (*Process, error) {
	bin, err := exec.LookPath("dovecot")
	if err != nil {
		for _, p := range []string{"/usr/sbin/dovecot", "/usr/local/sbin/dovecot"} {
			if _, statErr := os.Stat(p); statErr == nil {
				bin, err = p, nil
				break
			}
		}
	}
	if err != nil {
		return nil, &UnavailableError{What: "Dovecot (local process)", HowTo: howToDovecot}
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		return nil, &UnavailableError{What: "Dovecot (local process)", HowTo: fmt.Sprintf("%s --version failed (%v); %s", bin, err, howToDovecot)}
	}
	version := strings.TrimSpace(string(out))
	if !strings.HasPrefix(version, "2.3.") {
		return nil, &UnavailableError{What: "Dovecot 2.3 (local process)", HowTo: fmt.Sprintf("found %s %s; %s", bin, version, howToDovecot)}
	}
	return &Process{Binary: bin, version: version}, nil
}

// Name implements Launcher.
func (*Process) Name() string { return "process" }

// Start implements Launcher.
func (p *Process) Start(ctx context.Context, cfg Config) (*Instance, error) {
	return retryPorts(ctx, cfg, p.start)
}

func (p *Process) start(ctx context.Context, cfg Config) (*Instance, error) {
	prep, err := prepare(cfg, func(dir string) string { return filepath.Join(dir, "dovecot.log") })
	if err != nil {
		return nil, err
	}
	inst := prep.inst
	inst.Version = p.version
	logFile, err := os.OpenFile(prep.layout.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		inst.discard()
		return nil, err
	}
	cmd := exec.Command(p.Binary, "-F", "-c", filepath.Join(inst.dir, "dovecot.conf"))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Its own process group, so Kill reaches every child at once; and a
	// test binary that dies (timeout panic) takes the server with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	err = cmd.Start()
	logFile.Close()
	if err != nil {
		inst.discard()
		return nil, err
	}
	pb := &processBackend{cmd: cmd, logPath: prep.layout.LogPath, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(pb.exited)
	}()
	inst.backend = pb
	if err := waitGreeting(ctx, inst.Addr(), pb.exited); err != nil {
		return nil, inst.abandon("start Dovecot", err)
	}
	return inst, nil
}

type processBackend struct {
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{}
}

func (b *processBackend) signal(sig syscall.Signal) error {
	err := syscall.Kill(-b.cmd.Process.Pid, sig)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}

func (b *processBackend) wait(ctx context.Context) error {
	select {
	case <-b.exited:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("realservers: Dovecot did not exit: %w", ctx.Err())
	}
}

func (b *processBackend) stop(ctx context.Context) error {
	// SIGTERM to the master only: it stops its children itself.
	if err := b.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	err := b.wait(wctx)
	// Sweep children that outlived the master (sessions mid-logout).
	return errors.Join(err, b.signal(syscall.SIGKILL))
}

func (b *processBackend) kill(ctx context.Context) error {
	if err := b.signal(syscall.SIGKILL); err != nil {
		return err
	}
	if err := b.wait(ctx); err != nil {
		return err
	}
	// The master's children hold the listening sockets too: the port keeps
	// accepting until every one of them has died, not just the master.
	return waitGroupGone(ctx, b.cmd.Process.Pid)
}

// waitGroupGone waits until no live (non-zombie) process is left in the
// process group pgid. A zombie has already closed its files.
func waitGroupGone(ctx context.Context, pgid int) error {
	for {
		if !groupAlive(pgid) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("realservers: Dovecot's processes did not exit: %w", ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func groupAlive(pgid int) bool {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, path := range stats {
		data, err := os.ReadFile(path)
		if err != nil {
			continue // exited meanwhile
		}
		// pid (comm) state ppid pgrp ...; comm may hold spaces and parens.
		i := bytes.LastIndexByte(data, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(data[i+1:]))
		if len(f) >= 3 && f[0] != "Z" && f[2] == strconv.Itoa(pgid) {
			return true
		}
	}
	return false
}

func (b *processBackend) log(context.Context) (string, error) {
	data, err := os.ReadFile(b.logPath)
	return string(data), err
}

func (b *processBackend) remove(context.Context) error { return nil }
