package exporter

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/imapprobe/imapprobe/internal/secret"
	"github.com/imapprobe/imapprobe/prober"
)

// tokenCmdTimeout bounds token_cmd, as --token-cmd is bounded; the
// probe's own deadline may cut it shorter.
const tokenCmdTimeout = 30 * time.Second

// credentials reads, afresh for every probe (secrets rotate), the
// password and token of the target's user, else the module's. Errors name
// the key and the file or variable, never a secret.
func (e *Exporter) credentials(ctx context.Context, m *Module, user string, o *prober.Options) error {
	c := m.Credentials
	if uc, ok := m.Users[user]; ok && user != "" {
		c = *uc
	}
	var err error
	switch {
	case c.PasswordFile != "":
		if o.Password, err = secret.PasswordFile(c.PasswordFile); err != nil {
			return fmt.Errorf("password_file %s: %w", c.PasswordFile, err)
		}
	case c.PasswordEnv != "":
		if o.Password = e.env(c.PasswordEnv); o.Password == "" {
			return fmt.Errorf("password_env: %s is not set", c.PasswordEnv)
		}
	}
	switch {
	case c.TokenFile != "":
		if o.Token, err = secret.TokenFile(c.TokenFile); err != nil {
			return fmt.Errorf("token_file %s: %w", c.TokenFile, err)
		}
	case c.TokenEnv != "":
		if o.Token = strings.TrimSpace(e.env(c.TokenEnv)); o.Token == "" {
			return fmt.Errorf("token_env: %s is not set", c.TokenEnv)
		}
	case c.TokenCmd != "":
		// The command's output is not shown: what a failed command
		// prints may be a token.
		if o.Token, _, err = secret.Command(ctx, c.TokenCmd, tokenCmdTimeout); err != nil {
			return fmt.Errorf("token_cmd: %w", err)
		}
	}
	return nil
}
