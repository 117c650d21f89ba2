// Package realservers starts throwaway Dovecot 2.3 servers for the
// integration suites, either as a local process or as a container through
// testcontainers-go, and Cyrus IMAP 3.6 servers from extracted Debian
// packages (see Cyrus), behind one Launcher interface. It generates everything
// the server reads (configuration, users, maildir messages, certificates,
// ACLs, an OAuth2 introspection endpoint), so a test knows every byte that
// matters.
//
// Settings, all from the environment:
//
//	IMAPPROBE_DOVECOT_IMAGE   container image (default: the local image, else
//	                          dovecot/dovecot:2.3-latest)
//	IMAPPROBE_DOVECOT_ROOTFS  setup.sh's root filesystem tarball, imported as
//	                          the local image when missing
//	DOCKER_HOST               the engine; unset, a reachable default socket or
//	                          a private dockerd (as root) is used
//	IMAPPROBE_CYRUS_ROOT      cyrus-setup.sh's extracted Cyrus tree
//	                          (default DefaultCyrusRoot)
//	IMAPPROBE_KEEP_DIRS       non-empty: keep the generated /tmp/ipd* dirs
//	CI=true                   Need fails instead of skipping
//
// The container launcher needs the engine on this host: it uses host
// networking, as a private dockerd has no bridge.
package realservers

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Launcher starts Dovecot instances one way (process or container).
type Launcher interface {
	// Name is short and stable, for subtest names and tables.
	Name() string
	// Start generates the files for cfg and starts Dovecot; it returns once
	// the server has sent its "* OK" greeting.
	Start(ctx context.Context, cfg Config) (*Instance, error)
}

// CertKind selects the certificate Dovecot serves on both TLS paths.
type CertKind int

const (
	// CertValid is signed by the instance's CA, for certs.LoopbackHosts.
	CertValid CertKind = iota
	// CertSelfSigned signs itself; no pool trusts it.
	CertSelfSigned
	// CertExpired is signed by the instance's CA but expired yesterday.
	CertExpired
	// CertWrongHost is signed by the instance's CA for WrongHost only.
	CertWrongHost
)

// WrongHost is the only name a CertWrongHost certificate is valid for.
const WrongHost = "wrong-host.invalid"

func (k CertKind) String() string {
	switch k {
	case CertValid:
		return "valid"
	case CertSelfSigned:
		return "self-signed"
	case CertExpired:
		return "expired"
	case CertWrongHost:
		return "wrong-host"
	}
	return "CertKind(" + strconv.Itoa(int(k)) + ")"
}

// Config describes one Dovecot instance.
type Config struct {
	Cert  CertKind
	Users []User // nil means DefaultUsers()
}

// User is a mail account. Name and Password must be plain tokens (letters,
// digits, ".", "_", "-") because they land in a passwd-file and a script.
type User struct {
	Name     string
	Password string
	// Token is an OAuth2 bearer token the introspection endpoint accepts for
	// this user; empty means none.
	Token string
	// Mailboxes besides INBOX; an INBOX entry here sets INBOX's messages.
	Mailboxes []Mailbox
	// HoldAfterLogin makes a post-login script log HoldMarker and sleep
	// before Dovecot answers the login, so a test can kill the server while
	// the client waits in its auth step.
	HoldAfterLogin bool
}

// Mailbox is a maildir folder with generated messages.
type Mailbox struct {
	Name     string
	Messages int
	// Denied gives the owner only the lookup right through the ACL plugin,
	// so SELECT and EXAMINE get NO [NOPERM].
	Denied bool
}

// HoldMarker is logged by the post-login script for a HoldAfterLogin user.
const HoldMarker = "imapprobe-hold user="

// Default account names and mailboxes, shared by the suites and the fake
// server set up the same way.
const (
	DefaultUser     = "alice"
	DefaultPassword = "alice-pw-7Qx"
	DefaultToken    = "alice-token-9Zr"
	HeldUser        = "hold"
	// DeniedMailbox has the fake server's name for its NOPERM mailbox, so
	// both are set up the same way.
	DeniedMailbox = "Restricted"
	InboxMessages = 3
)

// DefaultUsers is the account set every suite uses unless it needs another.
func DefaultUsers() []User {
	return []User{
		{
			Name: DefaultUser, Password: DefaultPassword, Token: DefaultToken,
			Mailboxes: []Mailbox{
				{Name: "INBOX", Messages: InboxMessages},
				{Name: "Sent", Messages: 1},
				{Name: "Archive", Messages: 1},
				{Name: DeniedMailbox, Messages: 1, Denied: true},
			},
		},
		{Name: HeldUser, Password: "hold-pw-3Kd", HoldAfterLogin: true},
	}
}

func (c Config) users() []User {
	if c.Users == nil {
		return DefaultUsers()
	}
	return c.Users
}

var plainToken = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

func (c Config) validate() error {
	for _, u := range c.users() {
		for what, v := range map[string]string{"name": u.Name, "password": u.Password} {
			if !plainToken.MatchString(v) {
				return fmt.Errorf("realservers: user %q: %s must match %s", u.Name, what, plainToken)
			}
		}
		if u.Token != "" && !plainToken.MatchString(u.Token) {
			return fmt.Errorf("realservers: user %q: token must match %s", u.Name, plainToken)
		}
		for _, m := range u.Mailboxes {
			if !plainToken.MatchString(m.Name) {
				return fmt.Errorf("realservers: user %q: mailbox %q must match %s", u.Name, m.Name, plainToken)
			}
		}
	}
	return nil
}

// Instance is a running Dovecot. Addresses are loopback only.
type Instance struct {
	Host    string // "127.0.0.1"
	Port    int    // plaintext, offers STARTTLS
	TLSPort int    // implicit TLS
	// CAPool trusts the authority that signed the CertValid, CertExpired and
	// CertWrongHost certificates.
	CAPool *x509.CertPool
	// CAPEM is that authority's certificate in PEM form, for clients
	// that read their trust from a file (mbsync's CertificateFile).
	CAPEM []byte
	// Version is what `dovecot --version` prints, e.g. "2.3.19.1 (9b53102964)",
	// or for Cyrus what `cyr_info version` does after "cyrus-imapd ".
	Version string

	dir        string
	backend    backend
	introspect *httptest.Server
	stopOnce   sync.Once
	stopErr    error
	stopped    atomic.Bool
}

// backend is what a launcher does to one running server.
type backend interface {
	stop(ctx context.Context) error // graceful: SIGTERM, wait for exit
	kill(ctx context.Context) error // SIGKILL every process at once
	log(ctx context.Context) (string, error)
	remove(ctx context.Context) error // release everything; after stop or kill
}

// Addr is the plaintext (STARTTLS) address.
func (i *Instance) Addr() string { return net.JoinHostPort(i.Host, strconv.Itoa(i.Port)) }

// TLSAddr is the implicit-TLS address.
func (i *Instance) TLSAddr() string { return net.JoinHostPort(i.Host, strconv.Itoa(i.TLSPort)) }

// Stop shuts Dovecot down gracefully and waits until it has exited, so its
// ports refuse connections afterwards. It is safe to call more than once and
// after Kill.
func (i *Instance) Stop() error {
	i.stopOnce.Do(func() {
		i.stopped.Store(true)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err := i.backend.stop(ctx)
		if i.introspect != nil {
			i.introspect.Close()
		}
		i.stopErr = errors.Join(err, i.backend.remove(ctx), i.removeDir())
	})
	return i.stopErr
}

// Kill ends every Dovecot process of the instance with SIGKILL, as a crash
// would: open sessions drop without a BYE. Call Stop afterwards to clean up.
// Killing a server that is already down does nothing.
func (i *Instance) Kill() error {
	if i.stopped.Load() {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return i.backend.kill(ctx)
}

// Log returns Dovecot's log so far.
func (i *Instance) Log() string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := i.backend.log(ctx)
	if err != nil {
		return fmt.Sprintf("(log unavailable: %v)", err)
	}
	return s
}

// WaitLog waits until Dovecot's log contains substr.
func (i *Instance) WaitLog(ctx context.Context, substr string) error {
	for {
		s, err := i.backend.log(ctx)
		if err == nil && strings.Contains(s, substr) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("realservers: %q not in the Dovecot log: %w", substr, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (i *Instance) removeDir() error {
	if i.dir == "" || os.Getenv("IMAPPROBE_KEEP_DIRS") != "" {
		return nil
	}
	return os.RemoveAll(i.dir)
}

// UnavailableError says that a launcher cannot run here, and how to fix that.
type UnavailableError struct {
	What  string // e.g. "Dovecot"
	HowTo string
}

func (e *UnavailableError) Error() string {
	return e.What + " is not available: " + e.HowTo
}

// Need ends t when err is not nil. An UnavailableError skips the test,
// except under CI=true where missing servers are a failure; any other error
// fails it.
func Need(t testing.TB, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var u *UnavailableError
	if errors.As(err, &u) && os.Getenv("CI") != "true" {
		t.Skip(err.Error() + " (under CI=true this fails)")
	}
	t.Fatal(err)
}
