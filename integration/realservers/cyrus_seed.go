package realservers

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"slices"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// seedTimeout bounds each seeding session.
const seedTimeout = 30 * time.Second

// seedCyrus makes the users' mailboxes over IMAP, as Cyrus keeps no
// files a test could write: the admin creates them, each user APPENDs the
// messages, then the admin takes all but the lookup right from the
// owner on Denied mailboxes (Cyrus then answers NO to SELECT). Users in
// noInbox get no mailbox at all.
func seedCyrus(ctx context.Context, inst *Instance, users []User, noInbox []string) error {
	users = slices.DeleteFunc(slices.Clone(users), func(u User) bool { return slices.Contains(noInbox, u.Name) })
	if err := cyrusSession(ctx, inst, CyrusAdmin, cyrusAdminPassword, func(c *imapclient.Client) error {
		for _, u := range users {
			if err := c.Create("user/"+u.Name, nil).Wait(); err != nil {
				return fmt.Errorf("CREATE user/%s: %w", u.Name, err)
			}
			for _, m := range u.Mailboxes {
				if m.Name == "INBOX" {
					continue
				}
				if err := c.Create("user/"+u.Name+"/"+m.Name, nil).Wait(); err != nil {
					return fmt.Errorf("CREATE user/%s/%s: %w", u.Name, m.Name, err)
				}
			}
		}
		return nil
	}); err != nil {
		return err
	}
	for _, u := range users {
		if u.HoldAfterLogin {
			// Its login fails by design, so nothing can be appended.
			for _, m := range u.Mailboxes {
				if m.Messages > 0 {
					return fmt.Errorf("held user %s: Cyrus cannot seed messages for a HoldAfterLogin user", u.Name)
				}
			}
			continue
		}
		if err := cyrusSession(ctx, inst, u.Name, u.Password, func(c *imapclient.Client) error {
			for _, m := range u.Mailboxes {
				for n := 1; n <= m.Messages; n++ {
					msg := bytes.ReplaceAll(message(m.Name, n), []byte("\n"), []byte("\r\n"))
					app := c.Append(m.Name, int64(len(msg)), nil)
					if _, err := app.Write(msg); err != nil {
						return err
					}
					if err := app.Close(); err != nil {
						return err
					}
					if _, err := app.Wait(); err != nil {
						return fmt.Errorf("APPEND %s as %s: %w", m.Name, u.Name, err)
					}
				}
			}
			return nil
		}); err != nil {
			return err
		}
	}
	return cyrusSession(ctx, inst, CyrusAdmin, cyrusAdminPassword, func(c *imapclient.Client) error {
		for _, u := range users {
			for _, m := range u.Mailboxes {
				if !m.Denied {
					continue
				}
				box := "user/" + u.Name + "/" + m.Name
				if err := c.SetACL(box, imap.RightsIdentifier(u.Name), imap.RightModificationReplace, imap.RightSet("l")).Wait(); err != nil {
					return fmt.Errorf("SETACL %s: %w", box, err)
				}
			}
		}
		return nil
	})
}

// cyrusSession logs in over implicit TLS, runs fn and logs out, all
// within seedTimeout.
func cyrusSession(ctx context.Context, inst *Instance, user, password string, fn func(*imapclient.Client) error) error {
	ctx, cancel := context.WithTimeout(ctx, seedTimeout)
	defer cancel()
	d := tls.Dialer{NetDialer: &net.Dialer{}, // Any CertKind, even an invalid one, must seed: trust is not under test here.
		Config: &tls.Config{InsecureSkipVerify: true}}
	conn, err := d.DialContext(ctx, "tcp", inst.TLSAddr())
	if err != nil {
		return err
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	if err := conn.SetDeadline(deadline); err != nil {
		return err
	}
	c := imapclient.New(conn, nil)
	defer c.Close()
	if err := c.Login(user, password).Wait(); err != nil {
		return fmt.Errorf("LOGIN as %s: %w", user, err)
	}
	if err := fn(c); err != nil {
		return err
	}
	return c.Logout().Wait()
}
