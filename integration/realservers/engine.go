package realservers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Where a private dockerd keeps its state. The data root persists, so the
// imported image survives between runs; the socket path stays short.
const (
	privateEngineDir = "/tmp/imapprobe-docker"
	privateDataRoot  = "/var/tmp/imapprobe/docker"
)

// PrivateEngineHost is the DOCKER_HOST of the private dockerd.
const PrivateEngineHost = "unix://" + privateEngineDir + "/docker.sock"

const howToDocker = "start a Docker engine and set DOCKER_HOST, or install docker.io " +
	"(apt-get install docker.io, or run integration/realservers/setup.sh as root) " +
	"and run the tests as root so they can start a private dockerd"

// Engine is the Docker engine the container launcher uses: a reachable one,
// or a private dockerd that this process started (no bridge, no iptables,
// its own socket) and that Close stops.
type Engine struct {
	Host    string // DOCKER_HOST form, e.g. unix:///var/run/docker.sock
	Started bool   // this process started it

	cmd    *exec.Cmd
	exited chan struct{}
}

// StartEngine finds a reachable Docker engine ($DOCKER_HOST, the default
// socket, a private dockerd left running) or, as root, starts a private
// dockerd. It sets DOCKER_HOST and TESTCONTAINERS_RYUK_DISABLED=true for
// testcontainers-go, whose reaper image cannot be pulled without a registry.
func StartEngine(ctx context.Context) (*Engine, error) {
	if os.Getenv("TESTCONTAINERS_RYUK_DISABLED") == "" {
		if err := os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true"); err != nil {
			return nil, err
		}
	}
	candidates := []string{"unix:///var/run/docker.sock", PrivateEngineHost}
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		if !strings.HasPrefix(h, "unix://") {
			return &Engine{Host: h}, nil // remote engines are trusted as given
		}
		candidates = []string{h}
	}
	for _, h := range candidates {
		if pingEngine(ctx, h) == nil {
			return useEngine(&Engine{Host: h})
		}
	}
	if os.Getenv("DOCKER_HOST") != "" {
		return nil, &UnavailableError{What: "Docker", HowTo: "DOCKER_HOST=" + os.Getenv("DOCKER_HOST") + " does not answer; " + howToDocker}
	}
	dockerd, err := exec.LookPath("dockerd")
	if err != nil || os.Geteuid() != 0 {
		return nil, &UnavailableError{What: "Docker", HowTo: "no engine answers on " + strings.Join(candidates, " or ") + "; " + howToDocker}
	}
	e, err := startPrivateEngine(ctx, dockerd)
	if err != nil {
		return nil, err
	}
	return useEngine(e)
}

func useEngine(e *Engine) (*Engine, error) {
	return e, os.Setenv("DOCKER_HOST", e.Host)
}

func startPrivateEngine(ctx context.Context, dockerd string) (*Engine, error) {
	for _, d := range []string{privateEngineDir, privateDataRoot} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	logPath := filepath.Join(privateEngineDir, "dockerd.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	cmd := exec.Command(dockerd,
		"--data-root", privateDataRoot,
		"--exec-root", filepath.Join(privateEngineDir, "exec"),
		"--pidfile", filepath.Join(privateEngineDir, "dockerd.pid"),
		"-H", PrivateEngineHost,
		"--bridge=none", "--iptables=false", "--ip6tables=false", "--ip-forward=false")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// A test binary that dies without Close (timeout panic) still stops it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	e := &Engine{Host: PrivateEngineHost, Started: true, cmd: cmd, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(e.exited)
	}()
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	for pingEngine(wctx, e.Host) != nil {
		select {
		case <-e.exited:
			return nil, fmt.Errorf("realservers: dockerd exited at start; see %s", logPath)
		case <-wctx.Done():
			_ = e.Close()
			return nil, fmt.Errorf("realservers: dockerd did not answer within 60s; see %s", logPath)
		case <-time.After(100 * time.Millisecond):
		}
	}
	return e, nil
}

// pingEngine asks a unix-socket engine for /_ping.
func pingEngine(ctx context.Context, host string) error {
	sock := strings.TrimPrefix(host, "unix://")
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", sock)
	}}
	defer tr.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://engine/_ping", nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("engine ping: %s", resp.Status)
	}
	return nil
}

// Close stops the engine if this process started it, and waits for it.
func (e *Engine) Close() error {
	if e == nil || !e.Started {
		return nil
	}
	if err := e.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case <-e.exited:
	case <-time.After(30 * time.Second):
		_ = syscall.Kill(-e.cmd.Process.Pid, syscall.SIGKILL)
		<-e.exited
	}
	// containerd, started by dockerd in the same group, goes with it.
	if err := syscall.Kill(-e.cmd.Process.Pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	// dockerd leaves its default network namespace bind-mounted.
	netns := filepath.Join(privateEngineDir, "exec", "netns", "default")
	if err := syscall.Unmount(netns, syscall.MNT_DETACH); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOENT) {
		return fmt.Errorf("realservers: unmount %s: %w", netns, err)
	}
	return nil
}
