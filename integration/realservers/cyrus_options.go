package realservers

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// CyrusOptions set up, beside a Config, what only Cyrus shows. The zero
// value changes nothing.
type CyrusOptions struct {
	// NoTLS configures no certificate: Cyrus then advertises no STARTTLS,
	// answers it "BAD Unrecognized command", and serves no implicit-TLS
	// port (the Instance's TLSPort is 0). The launcher seeds over TLS, so
	// Config.Users must be an empty, non-nil list.
	NoTLS bool
	// NoInbox names users of Config.Users who get no mailbox at all: they
	// can log in, but Cyrus (which is not set to autocreate) has no INBOX
	// for them. Such a user must have no Mailboxes.
	NoInbox []string
	// Deny maps users to the message cyr_deny gives them, once seeded:
	// Cyrus then refuses them IMAP.
	Deny map[string]string
	// Shutdown, when set, is written to Cyrus's msg/shutdown file once
	// seeded: Cyrus's maintenance message, sent as "* BYE [ALERT] " +
	// Shutdown. One line of plain text.
	Shutdown string
}

func (o CyrusOptions) check(cfg Config) error {
	users := cfg.users()
	if o.NoTLS && len(users) > 0 {
		return fmt.Errorf("realservers: CyrusOptions.NoTLS: the launcher seeds over TLS, so Config.Users must be empty (not nil), not %d users", len(users))
	}
	known := func(name string) *User {
		for i := range users {
			if users[i].Name == name {
				return &users[i]
			}
		}
		return nil
	}
	for _, name := range o.NoInbox {
		u := known(name)
		if u == nil {
			return fmt.Errorf("realservers: CyrusOptions.NoInbox names %q, who is not among Config.Users", name)
		}
		if len(u.Mailboxes) > 0 || u.HoldAfterLogin {
			return fmt.Errorf("realservers: CyrusOptions.NoInbox user %q must have no mailboxes and no HoldAfterLogin", name)
		}
	}
	for name, msg := range o.Deny {
		if known(name) == nil {
			return fmt.Errorf("realservers: CyrusOptions.Deny names %q, who is not among Config.Users", name)
		}
		if !oneLine(msg) {
			return fmt.Errorf("realservers: CyrusOptions.Deny message for %q must be one non-empty line", name)
		}
	}
	if o.Shutdown != "" && !oneLine(o.Shutdown) {
		return fmt.Errorf("realservers: CyrusOptions.Shutdown must be one line")
	}
	return nil
}

func oneLine(s string) bool { return s != "" && !strings.ContainsAny(s, "\r\n\x00") }

// applyOptions denies the Deny users and writes the shutdown file, after
// seeding, which needs logins both would refuse.
func (c *Cyrus) applyOptions(ctx context.Context, inst *Instance, o CyrusOptions) error {
	conf := filepath.Join(inst.dir, "imapd.conf")
	names := make([]string, 0, len(o.Deny))
	for name := range o.Deny {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		// As nobody, so that imapd can read the deny database it creates.
		cmd := exec.CommandContext(ctx, "setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
			c.bin("cyr_deny"), "-C", conf, "-m", o.Deny[name], name)
		cmd.Env = c.env()
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("cyr_deny %s: %v: %s", name, err, out)
		}
	}
	if o.Shutdown == "" {
		return nil
	}
	dir := filepath.Join(inst.dir, "conf", "msg")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "shutdown"), []byte(o.Shutdown+"\n"), 0o644)
}
