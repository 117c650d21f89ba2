package integration

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/imapprobe/imapprobe/integration/realservers"
	"github.com/imapprobe/imapprobe/internal/testkit"
)

// TestDovecotLaunchers checks what the situation suites rely on, without
// the prober: the greeting, login and mailboxes over both TLS paths, the
// ACL denial, and that Stop leaves both ports refusing.
func TestDovecotLaunchers(t *testing.T) {
	eachLauncher(t, func(t *testing.T, l realservers.Launcher) {
		inst := startDovecot(t, l, realservers.Config{})

		greeting := testkit.Greeting(t, inst.Addr())
		if !strings.HasPrefix(greeting, "* OK [CAPABILITY IMAP4rev1 ") || !strings.Contains(greeting, " STARTTLS ") || !strings.Contains(greeting, " AUTH=XOAUTH2 AUTH=OAUTHBEARER]") {
			t.Errorf("greeting = %q; want an OK with STARTTLS and the OAuth mechanisms", greeting)
		}

		tlsConf := &tls.Config{RootCAs: inst.CAPool, ServerName: inst.Host}
		opts := &imapclient.Options{TLSConfig: tlsConf, Dialer: &net.Dialer{Timeout: 10 * time.Second}}
		starttls, err := imapclient.DialStartTLS(inst.Addr(), opts)
		if err != nil {
			t.Fatalf("STARTTLS: %v", err)
		}
		defer starttls.Close()
		implicit, err := imapclient.DialTLS(inst.TLSAddr(), opts)
		if err != nil {
			t.Fatalf("implicit TLS: %v", err)
		}
		defer implicit.Close()

		for name, c := range map[string]*imapclient.Client{"starttls": starttls, "implicit": implicit} {
			withDeadline(t, c, func() {
				if err := c.Login(realservers.DefaultUser, realservers.DefaultPassword).Wait(); err != nil {
					t.Fatalf("%s: LOGIN: %v", name, err)
				}
				boxes, err := c.List("", "*", nil).Collect()
				if err != nil || len(boxes) != 4 {
					t.Errorf("%s: LIST = %d mailboxes, %v; want 4", name, len(boxes), err)
				}
				sel, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait()
				if err != nil || sel.NumMessages != realservers.InboxMessages {
					t.Errorf("%s: EXAMINE INBOX = %+v, %v; want %d messages", name, sel, err, realservers.InboxMessages)
				}
				_, err = c.Select(realservers.DeniedMailbox, nil).Wait()
				var ie *imap.Error
				if !errors.As(err, &ie) || ie.Code != imap.ResponseCodeNoPerm {
					t.Errorf("%s: SELECT %s = %v; want NO [NOPERM]", name, realservers.DeniedMailbox, err)
				}
				if err := c.Logout().Wait(); err != nil {
					t.Errorf("%s: LOGOUT: %v", name, err)
				}
			})
		}

		if err := inst.Stop(); err != nil {
			t.Fatalf("Stop: %v", err)
		}
		for _, addr := range []string{inst.Addr(), inst.TLSAddr()} {
			if _, err := net.DialTimeout("tcp", addr, 5*time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
				t.Errorf("dial %s after Stop: %v; want connection refused", addr, err)
			}
		}
	})
}

// TestDovecotKill checks that Kill drops a session held after login, with
// no reply, and leaves the port refusing.
func TestDovecotKill(t *testing.T) {
	eachLauncher(t, func(t *testing.T, l realservers.Launcher) {
		inst := startDovecot(t, l, realservers.Config{})
		c, err := imapclient.DialTLS(inst.TLSAddr(), &imapclient.Options{TLSConfig: &tls.Config{RootCAs: inst.CAPool, ServerName: inst.Host}})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		login := make(chan error, 1)
		go func() { login <- c.Login(realservers.HeldUser, heldPassword()).Wait() }()

		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := inst.WaitLog(ctx, realservers.HoldMarker+realservers.HeldUser); err != nil {
			t.Fatal(err)
		}
		if err := inst.Kill(); err != nil {
			t.Fatalf("Kill: %v", err)
		}
		select {
		case err := <-login:
			var ie *imap.Error
			if err == nil || errors.As(err, &ie) {
				t.Errorf("LOGIN after Kill = %v; want a dropped connection", err)
			}
		case <-ctx.Done():
			t.Fatal("LOGIN still waiting 20 s after Kill")
		}
		if _, err := net.DialTimeout("tcp", inst.TLSAddr(), 5*time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("dial after Kill: %v; want connection refused", err)
		}
	})
}

func heldPassword() string {
	for _, u := range realservers.DefaultUsers() {
		if u.Name == realservers.HeldUser {
			return u.Password
		}
	}
	panic("no held user in DefaultUsers")
}

// withDeadline runs f with a watchdog: imapclient has no timeouts, so a
// stuck server would hang the test without it.
func withDeadline(t *testing.T, c *imapclient.Client, f func()) {
	t.Helper()
	timer := time.AfterFunc(30*time.Second, func() {
		t.Errorf("IMAP session still running after 30 s; closing it")
		c.Close()
	})
	defer timer.Stop()
	f()
}
