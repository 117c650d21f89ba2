package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/imapprobe/imapprobe/internal/textreport"
	"io"
	"os"
	"strings"

	"github.com/imapprobe/imapprobe/internal/authmech"
	"github.com/imapprobe/imapprobe/internal/secret"
	"github.com/imapprobe/imapprobe/prober"
)

// maxSecret bounds every read of a password or token: a file, standard
// input, a prompt or --token-cmd's output (see package secret).
const maxSecret = secret.Max

type secretSources struct {
	password, passwordFile, tokenFile, tokenCmd string
	passwordFlag                                bool
}

// readSecrets fills o.Password and o.Token, both when both are given: the
// prober picks by --auth, then by the server's mechanisms, and reports
// which it sent. The password is read first, so that --token-cmd's stderr
// can be shown with both secrets masked. Errors never quote a secret.
func readSecrets(ctx context.Context, o *prober.Options, t prober.Target, src secretSources, env func(string) string, stdin io.Reader, stderr io.Writer) error {
	m, _ := authmech.Lookup(o.Auth)
	wantToken := m.Credential == authmech.Token
	switch {
	case src.passwordFile == "-":
		if f, ok := stdin.(*os.File); ok && textreport.IsTerminal(f) {
			return usagef("--password-file - reads standard input, which is a terminal: leave the flag out to be prompted with echo off")
		}
		pw, err := readFirstLine(stdin)
		if err != nil {
			return usagef("cannot read the password from standard input (--password-file -): %v", err)
		}
		if pw == "" {
			return usagef("--password-file -: the first line of standard input is empty: put the password on it")
		}
		o.Password = pw
	case src.passwordFile != "":
		f, err := os.Open(src.passwordFile)
		if err != nil {
			return usagef("cannot read --password-file: %v", err)
		}
		pw, err := readFirstLine(f)
		f.Close()
		if err != nil {
			return usagef("cannot read --password-file %s: %v", src.passwordFile, err)
		}
		if pw == "" {
			return usagef("--password-file %s has an empty first line: put the password on it", src.passwordFile)
		}
		o.Password = pw
	case src.passwordFlag:
		if src.password == "" {
			return usagef("--password is empty: give the password, or better use IMAPPROBE_PASSWORD, --password-file or the prompt")
		}
		fmt.Fprintln(stderr, "imapprobe: warning: --password is visible in the process list and shell history; prefer IMAPPROBE_PASSWORD, --password-file or the prompt")
		o.Password = src.password
	case env("IMAPPROBE_PASSWORD") != "":
		o.Password = env("IMAPPROBE_PASSWORD")
	}

	switch {
	case src.tokenFile != "":
		tok, err := readTokenFile(src.tokenFile)
		if err != nil {
			return err
		}
		o.Token = tok
	case src.tokenCmd != "":
		tok, printed, err := runTokenCmd(ctx, src.tokenCmd, tokenCmdTimeout)
		showTokenCmdStderr(stderr, printed.Stderr, t.User, append(printed.Secrets(), o.Password, tok)...)
		if err != nil {
			return err
		}
		o.Token = tok
	case env("IMAPPROBE_TOKEN") != "":
		o.Token = strings.TrimSpace(env("IMAPPROBE_TOKEN"))
	}

	if wantToken {
		if o.Token == "" {
			return usagef("--auth %s needs a token: set IMAPPROBE_TOKEN, or use --token-file or --token-cmd", o.Auth)
		}
		return nil
	}
	if o.Password == "" && o.Token == "" && t.User != "" && needsLogin(o.QuitAfter) {
		if f, ok := stdin.(*os.File); ok && textreport.IsTerminal(f) {
			pw, err := promptPassword(ctx, f, stderr, fmt.Sprintf("Password for %s@%s: ", t.User, t.Host))
			if err != nil {
				return usagef("cannot read the password: %v", err)
			}
			if pw == "" {
				return usagef("empty password at the prompt: type the password, or use --quit-after capability to check only the connection")
			}
			o.Password = pw
		}
	}
	if o.Password == "" && (o.Auth == "login" || o.Auth == "plain") {
		return usagef("--auth %s needs a password: set IMAPPROBE_PASSWORD, use --password-file, or run on a terminal to be prompted", o.Auth)
	}
	return nil
}

// errTooLong is a secret over maxSecret.
var errTooLong = secret.ErrTooLong

// readFirstLine is secret.FirstLine: the first line of r, capped.
func readFirstLine(r io.Reader) (string, error) { return secret.FirstLine(r) }

// readTokenFile reads a token file of at most maxSecret bytes.
func readTokenFile(path string) (string, error) {
	tok, err := secret.TokenFile(path)
	var perr *os.PathError
	switch {
	case errors.As(err, &perr) && perr.Op == "open":
		return "", usagef("cannot read --token-file: %v", err)
	case errors.Is(err, secret.ErrTooLong):
		return "", usagef("--token-file %s is %v", path, errTooLong)
	case errors.Is(err, secret.ErrEmpty):
		return "", usagef("--token-file %s is empty: write the OAuth2 access token into it", path)
	case err != nil:
		return "", usagef("cannot read --token-file %s: %v", path, err)
	}
	return tok, nil
}
