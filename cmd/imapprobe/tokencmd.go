package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/imapprobe/imapprobe/internal/redact"
	"github.com/imapprobe/imapprobe/internal/secret"
	"github.com/imapprobe/imapprobe/internal/wiretap"
)

// tokenCmdTimeout bounds --token-cmd, which may wait on a network or a
// person (a browser login).
const tokenCmdTimeout = 30 * time.Second

// maxTokenCmdStderr bounds the --token-cmd stderr kept and shown.
const maxTokenCmdStderr = secret.MaxCommandStderr

// runTokenCmd runs --token-cmd through secret.Command and words its
// errors as usage errors naming the flag.
func runTokenCmd(ctx context.Context, command string, timeout time.Duration) (string, secret.Output, error) {
	tok, res, err := secret.Command(ctx, command, timeout)
	switch {
	case err == nil:
		return tok, res, nil
	case errors.Is(err, secret.ErrOutputTooLong):
		return "", res, usagef("--token-cmd printed more than %d KiB; it must print one token", maxSecret>>10)
	case errors.Is(err, secret.ErrTimeout):
		return "", res, usagef("--token-cmd did not finish within %s: check the command, or save the token and use --token-file", timeout)
	case errors.Is(err, secret.ErrInterrupted):
		return "", res, usagef("--token-cmd was interrupted")
	case errors.Is(err, secret.ErrNoOutput):
		return "", res, usagef("--token-cmd printed nothing; it must print the token on stdout")
	}
	return "", res, usagef("--token-cmd failed: %v", err)
}

// showTokenCmdStderr shows what --token-cmd wrote to stderr with every
// form of the user's secrets masked, control characters escaped, and at
// most maxTokenCmdStderr bytes.
func showTokenCmdStderr(w io.Writer, said *secret.Capture, user string, secrets ...string) {
	if said == nil || len(said.Buf) == 0 {
		return
	}
	text := maskSecrets(string(said.Buf), user, secrets...)
	if said.Over {
		text = dropSecretPrefix(text, user, secrets...)
	}
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		fmt.Fprintln(w, "imapprobe: --token-cmd stderr: "+wiretap.Escape(strings.TrimSuffix(line, "\r"), 0))
	}
	if said.Over {
		fmt.Fprintf(w, "imapprobe: --token-cmd stderr: ... (%d more bytes not shown)\n", said.Extra)
	}
}

// secretForms lists every form of the secrets worth masking: raw, base64
// and the SASL payloads (redact.Encodings).
func secretForms(user string, secrets ...string) []string {
	var forms []string
	for _, s := range secrets {
		if len(s) >= 3 {
			forms = append(forms, redact.Encodings(user, s)...)
		}
	}
	return forms
}

// maskSecrets replaces every form of the secrets in text, ignoring ASCII
// case: a command may print a token upper-cased.
func maskSecrets(text, user string, secrets ...string) string {
	for _, f := range secretForms(user, secrets...) {
		low, lf := asciiLower(text), asciiLower(f)
		var b strings.Builder
		for {
			i := strings.Index(low, lf)
			if i < 0 {
				break
			}
			b.WriteString(text[:i] + redact.Marker)
			text, low = text[i+len(f):], low[i+len(f):]
		}
		text = b.String() + text
	}
	return text
}

// dropSecretPrefix cuts the end of a truncated text where it could be the
// start of a secret that the truncation split.
func dropSecretPrefix(text, user string, secrets ...string) string {
	low := asciiLower(text)
	cut := len(text)
	for _, f := range secretForms(user, secrets...) {
		lf := asciiLower(f)
		for n := min(len(lf)-1, len(low)); n > 0; n-- {
			if strings.HasSuffix(low, lf[:n]) {
				cut = min(cut, len(text)-n)
				break
			}
		}
	}
	return text[:cut]
}

// asciiLower lower-cases ASCII letters only, so that byte offsets stay.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
