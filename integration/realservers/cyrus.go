package realservers

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// DefaultCyrusRoot is where cyrus-setup.sh extracts the Cyrus 3.6 packages;
// keep in step with it. IMAPPROBE_CYRUS_ROOT overrides it.
const DefaultCyrusRoot = "/var/tmp/imapprobe/cyrus-3.6"

// CyrusHoldMarker starts the line Cyrus logs for a failed login, before its
// failed-login pause.
const CyrusHoldMarker = "badlogin: "

// CyrusAdmin is the IMAP admin the launcher creates mailboxes as.
const CyrusAdmin = "cyrusadmin"

const howToCyrus = "run integration/realservers/cyrus-setup.sh as root on Debian 12 " +
	"(it extracts cyrus-imapd, cyrus-common and sasl2-bin into " + DefaultCyrusRoot +
	" without installing them), or set IMAPPROBE_CYRUS_ROOT to such a tree"

// Cyrus starts Cyrus IMAP 3.6 from an extracted package tree, as nobody.
// It runs only as root: imapd refuses to run as root, so master is started
// under setpriv as nobody:nogroup. Token is not supported (Debian's Cyrus
// has no OAuth SASL mechanism) and is ignored. A HoldAfterLogin user is
// registered with another password: Cyrus logs CyrusHoldMarker and pauses
// 3 s before it refuses the login, which is the hold.
type Cyrus struct {
	Root string // the extracted tree

	pickPorts func() ([]int, error) // nil: lowFreePorts(2); tests replace it
	version   string
}

func (c *Cyrus) ports() ([]int, error) {
	if c.pickPorts != nil {
		return c.pickPorts()
	}
	return lowFreePorts(2)
}

// NewCyrus finds the extracted Cyrus tree and the tools it needs.
func NewCyrus() (*Cyrus, error) {
	root := os.Getenv("IMAPPROBE_CYRUS_ROOT")
	if root == "" {
		root = DefaultCyrusRoot
	}
	c := &Cyrus{Root: root}
	if _, err := os.Stat(filepath.Join(root, ".complete")); err != nil {
		return nil, &UnavailableError{What: "Cyrus IMAP 3.6 (extracted)", HowTo: "no complete tree at " + root + "; " + howToCyrus}
	}
	if os.Geteuid() != 0 {
		return nil, &UnavailableError{What: "Cyrus IMAP 3.6 (extracted)", HowTo: "the launcher must run as root (it starts Cyrus as nobody)"}
	}
	if _, err := exec.LookPath("setpriv"); err != nil {
		return nil, &UnavailableError{What: "Cyrus IMAP 3.6 (extracted)", HowTo: "setpriv (util-linux) is missing"}
	}
	cmd := exec.Command(c.bin("cyr_info"), "version")
	cmd.Env = c.env()
	out, err := cmd.Output()
	if err != nil {
		return nil, &UnavailableError{What: "Cyrus IMAP 3.6 (extracted)", HowTo: fmt.Sprintf("cyr_info version failed (%v); %s", err, howToCyrus)}
	}
	// "cyrus-imapd 3.6.1-Debian-3.6.1-4+deb12u5"
	c.version = strings.TrimPrefix(strings.TrimSpace(string(out)), "cyrus-imapd ")
	if !strings.HasPrefix(c.version, "3.6.") {
		return nil, &UnavailableError{What: "Cyrus IMAP 3.6 (extracted)", HowTo: fmt.Sprintf("found Cyrus %q at %s; %s", c.version, root, howToCyrus)}
	}
	return c, nil
}

// Name implements Launcher.
func (*Cyrus) Name() string { return "cyrus" }

func (c *Cyrus) bin(name string) string { return filepath.Join(c.Root, "usr/lib/cyrus/bin", name) }

func (c *Cyrus) env() []string {
	return append(os.Environ(), "LD_LIBRARY_PATH="+
		filepath.Join(c.Root, "lib/x86_64-linux-gnu")+":"+filepath.Join(c.Root, "usr/lib/x86_64-linux-gnu"))
}

// Start implements Launcher.
func (c *Cyrus) Start(ctx context.Context, cfg Config) (*Instance, error) {
	return c.StartWith(ctx, cfg, CyrusOptions{})
}

// StartWith is Start with what only Cyrus can be asked for.
func (c *Cyrus) StartWith(ctx context.Context, cfg Config, opts CyrusOptions) (*Instance, error) {
	if err := opts.check(cfg); err != nil {
		return nil, err
	}
	return retryPorts(ctx, cfg, func(ctx context.Context, cfg Config) (*Instance, error) {
		return c.start(ctx, cfg, opts)
	})
}

func (c *Cyrus) start(ctx context.Context, cfg Config, opts CyrusOptions) (inst *Instance, err error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	inst = &Instance{Host: "127.0.0.1", Version: c.version}
	ca, chainPEM, keyPEM, err := serverCert(cfg.Cert)
	if err != nil {
		return nil, err
	}
	inst.CAPool, inst.CAPEM = ca.Pool(), ca.CertPEM()
	if inst.dir, err = newDir(); err != nil {
		return nil, err
	}
	ports, err := c.ports()
	if err != nil {
		inst.discard()
		return nil, err
	}
	inst.Port, inst.TLSPort = ports[0], ports[1]
	servername := "imapprobe-" + filepath.Base(inst.dir)
	if opts.NoTLS {
		chainPEM, keyPEM = nil, nil
	}
	if err := c.writeConfig(inst, servername, chainPEM, keyPEM); err != nil {
		inst.discard()
		return nil, err
	}
	if err := c.addUsers(ctx, inst.dir, servername, cfg.users()); err != nil {
		inst.discard()
		return nil, err
	}
	// master's output and, through the shim, every process's syslog.
	logPath := filepath.Join(inst.dir, "cyrus.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		inst.discard()
		return nil, err
	}
	if err := chownTree(inst.dir, "nobody"); err != nil {
		logFile.Close()
		inst.discard()
		return nil, err
	}
	cmd := exec.Command("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
		c.bin("master"), "-C", filepath.Join(inst.dir, "imapd.conf"), "-M", filepath.Join(inst.dir, "cyrus.conf"),
		"-p", filepath.Join(inst.dir, "master.pid"))
	cmd.Env = c.env()
	shim := filepath.Join(c.Root, "imapprobe-syslog.so")
	logged := fileExists(shim)
	if logged {
		cmd.Env = append(cmd.Env, "LD_PRELOAD="+shim, "IMAPPROBE_SYSLOG_FILE="+logPath)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	err = cmd.Start()
	logFile.Close()
	if err != nil {
		inst.discard()
		return nil, err
	}
	pb := &processBackend{cmd: cmd, logPath: logPath, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(pb.exited)
	}()
	inst.backend = pb
	// master runs on without a listener it could not bind, and another
	// process on that port could even greet: read its verdict in the log.
	if logged {
		if err := waitCyrusReady(ctx, pb); err != nil {
			return nil, inst.abandon("start Cyrus", err)
		}
	}
	if err := waitGreeting(ctx, inst.Addr(), pb.exited); err != nil {
		return nil, inst.abandon("start Cyrus", err)
	}
	if opts.NoTLS {
		inst.TLSPort = 0 // there is none; check made sure nothing needs seeding
		return inst, nil
	}
	if err := seedCyrus(ctx, inst, cfg.users(), opts.NoInbox); err != nil {
		_ = inst.Stop()
		return nil, fmt.Errorf("realservers: seed Cyrus: %w", err)
	}
	if err := c.applyOptions(ctx, inst, opts); err != nil {
		_ = inst.Stop()
		return nil, fmt.Errorf("realservers: set up Cyrus: %w", err)
	}
	return inst, nil
}

// waitCyrusReady waits until master logs that it is ready, and fails if it
// could not bind a port (abandon then reports errPortTaken).
func waitCyrusReady(ctx context.Context, pb *processBackend) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	for {
		log, _ := pb.log(ctx)
		if strings.Contains(log, "Address already in use") {
			return errPortTaken
		}
		if strings.Contains(log, "ready for work") {
			return nil
		}
		select {
		case <-pb.exited:
			return errExited
		case <-ctx.Done():
			return fmt.Errorf("realservers: Cyrus's master never logged \"ready for work\": %w", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// lowFreePorts picks n free loopback ports below the ephemeral range, so
// no outgoing connection takes one between the pick and master's bind.
func lowFreePorts(n int) ([]int, error) {
	var ports []int
	var held []net.Listener
	defer func() {
		for _, ln := range held {
			ln.Close()
		}
	}()
	for tries := 0; len(ports) < n; tries++ {
		if tries > 200 {
			return nil, fmt.Errorf("realservers: no free port below 32768")
		}
		p := 20000 + rand.IntN(12000)
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			continue
		}
		held = append(held, ln)
		ports = append(ports, p)
	}
	return ports, nil
}

// writeConfig writes imapd.conf, cyrus.conf and the certificate. Every
// option has a value: an empty one makes master exit. Without a
// certificate (nil chainPEM) Cyrus gets no TLS options and no imaps
// service.
func (c *Cyrus) writeConfig(inst *Instance, servername string, chainPEM, keyPEM []byte) error {
	d := inst.dir
	for _, sub := range []string{"conf", "conf/socket", "conf/proc", "conf/lock", "spool", "sieve"} {
		if err := os.MkdirAll(filepath.Join(d, sub), 0o750); err != nil {
			return err
		}
	}
	withTLS := chainPEM != nil
	if withTLS {
		if err := os.WriteFile(filepath.Join(d, "cert.pem"), chainPEM, 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(d, "key.pem"), keyPEM, 0o600); err != nil {
			return err
		}
	}
	opts := [][2]string{
		{"configdirectory", filepath.Join(d, "conf")},
		{"partition-default", filepath.Join(d, "spool")},
		{"sievedir", filepath.Join(d, "sieve")},
		{"servername", servername},
		{"cyrus_user", "nobody"},
		{"cyrus_group", "nogroup"},
		{"admins", CyrusAdmin},
		{"sasl_pwcheck_method", "auxprop"},
		{"sasl_auxprop_plugin", "sasldb"},
		{"sasl_sasldb_path", filepath.Join(d, "sasldb2")},
		{"sasl_mech_list", "PLAIN LOGIN"},
		{"allowplaintext", "no"},
		{"unixhierarchysep", "yes"},
		{"lmtpsocket", filepath.Join(d, "conf/socket/lmtp")},
		{"idlesocket", filepath.Join(d, "conf/socket/idle")},
		{"notifysocket", filepath.Join(d, "conf/socket/notify")},
		{"master_pid_file", filepath.Join(d, "master.pid")},
	}
	if withTLS {
		opts = append(opts, [2]string{"tls_server_cert", filepath.Join(d, "cert.pem")}, [2]string{"tls_server_key", filepath.Join(d, "key.pem")})
	}
	var b strings.Builder
	for _, o := range opts {
		fmt.Fprintf(&b, "%s: %s\n", o[0], o[1])
	}
	conf := filepath.Join(d, "imapd.conf")
	if err := os.WriteFile(conf, []byte(b.String()), 0o644); err != nil {
		return err
	}
	imaps := ""
	if withTLS {
		imaps = fmt.Sprintf("  imaps cmd=\"%s -s -C %s\" listen=\"127.0.0.1:%d\" prefork=0\n", c.bin("imapd"), conf, inst.TLSPort)
	}
	master := fmt.Sprintf(`START {
  recover cmd="%s -r -C %s"
}
SERVICES {
  imap cmd="%s -C %s" listen="127.0.0.1:%d" prefork=0
%s}
EVENTS {
}
DAEMON {
}
`, c.bin("ctl_cyrusdb"), conf, c.bin("imapd"), conf, inst.Port, imaps)
	return os.WriteFile(filepath.Join(d, "cyrus.conf"), []byte(master), 0o644)
}

// addUsers writes the users and the admin into the instance's sasldb.
func (c *Cyrus) addUsers(ctx context.Context, dir, servername string, users []User) error {
	all := append([]User{{Name: CyrusAdmin, Password: cyrusAdminPassword}}, users...)
	for _, u := range all {
		if u.HoldAfterLogin {
			u.Password += "-held"
		}
		cmd := exec.CommandContext(ctx, filepath.Join(c.Root, "usr/sbin/saslpasswd2"),
			"-f", filepath.Join(dir, "sasldb2"), "-p", "-c", "-u", servername, u.Name)
		cmd.Env = c.env()
		cmd.Stdin = strings.NewReader(u.Password)
		if out, err := cmd.CombinedOutput(); err != nil {
			// The password went to stdin only; the output names the user.
			return fmt.Errorf("realservers: saslpasswd2 %s: %v: %s", u.Name, err, out)
		}
	}
	return nil
}

// cyrusAdminPassword is the admin's password; instances are throwaway and
// loopback-only.
const cyrusAdminPassword = "cyrusadmin-pw-4Tn"
