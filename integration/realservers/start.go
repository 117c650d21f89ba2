package realservers

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"time"
)

// readyTimeout bounds how long a start may wait for the greeting.
const readyTimeout = 60 * time.Second

// prepared is an instance whose files are written but whose server is not
// yet running.
type prepared struct {
	inst   *Instance
	layout layout
}

// prepare writes the files for cfg into a new directory. logPath maps the
// directory to Dovecot's log_path. On error nothing is left behind.
func prepare(cfg Config, logPath func(dir string) string) (p prepared, err error) {
	if err := cfg.validate(); err != nil {
		return p, err
	}
	inst := &Instance{Host: "127.0.0.1"}
	defer func() {
		if err != nil {
			inst.discard()
		}
	}()
	ca, chainPEM, keyPEM, err := serverCert(cfg.Cert)
	if err != nil {
		return p, err
	}
	inst.CAPool, inst.CAPEM = ca.Pool(), ca.CertPEM()
	if inst.dir, err = newDir(); err != nil {
		return p, err
	}
	ports, err := freePorts(2)
	if err != nil {
		return p, err
	}
	inst.Port, inst.TLSPort = ports[0], ports[1]
	l := layout{Dir: inst.dir, Name: "imapprobe-" + filepath.Base(inst.dir), Port: inst.Port, TLSPort: inst.TLSPort, LogPath: logPath(inst.dir)}
	if err := identity(&l); err != nil {
		return p, err
	}
	if inst.introspect = newIntrospection(cfg.users()); inst.introspect != nil {
		l.IntrospectURL = inst.introspect.URL + "/introspect"
	}
	if err := writeTree(l, cfg, chainPEM, keyPEM); err != nil {
		return p, err
	}
	return prepared{inst: inst, layout: l}, nil
}

// discard releases what prepare made, for a server that never ran.
func (i *Instance) discard() {
	if i.introspect != nil {
		i.introspect.Close()
	}
	_ = i.removeDir()
}

// freePorts asks the kernel for n free loopback ports. Another process may
// take one before Dovecot binds it; launchers retry on that.
func freePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer ln.Close()
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// errExited means the server process ended before it was ready.
var errExited = errors.New("realservers: the server exited before its greeting")

// waitGreeting waits until addr answers with an "* OK" line. A TCP accept is
// not enough: Dovecot's master accepts even when imap-login cannot start.
// exited, when it closes, means waiting is pointless.
func waitGreeting(ctx context.Context, addr string, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	var last error
	for {
		line, err := readGreeting(ctx, addr)
		if err == nil && strings.HasPrefix(line, "* OK") {
			return nil
		}
		if err == nil {
			err = fmt.Errorf("unexpected greeting %q", line)
		}
		last = err
		select {
		case <-exited:
			return errExited
		case <-ctx.Done():
			return fmt.Errorf("realservers: no greeting from %s: %w (last: %v)", addr, ctx.Err(), last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func readGreeting(ctx context.Context, addr string) (string, error) {
	var d net.Dialer
	d.Timeout = 2 * time.Second
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(2 * time.Second)); err != nil {
		return "", err
	}
	line, err := bufio.NewReaderSize(conn, 4096).ReadString('\n')
	if err != nil {
		return "", err
	}
	_, _ = conn.Write([]byte("z LOGOUT\r\n"))
	return line, nil
}

// errPortTaken says a start lost the race for its ports.
var errPortTaken = errors.New("realservers: port taken")

// abandon stops an instance whose server never became ready and says why:
// errPortTaken when it lost the race for its ports, else err with
// Dovecot's log.
func (i *Instance) abandon(what string, err error) error {
	log := i.Log()
	_ = i.Stop()
	if strings.Contains(log, "Address already in use") {
		return errPortTaken
	}
	return fmt.Errorf("realservers: %s: %w\n%s", what, err, log)
}

// retryPorts runs start again, on new ports, when another process took
// the ones it picked.
func retryPorts(ctx context.Context, cfg Config, start func(context.Context, Config) (*Instance, error)) (*Instance, error) {
	var err error
	for range 3 {
		var inst *Instance
		inst, err = start(ctx, cfg)
		if err == nil || !errors.Is(err, errPortTaken) {
			return inst, err
		}
	}
	return nil, err
}
