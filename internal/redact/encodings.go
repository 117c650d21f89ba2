package redact

import (
	"encoding/base64"
	"strconv"

	"github.com/imapprobe/imapprobe/internal/authmech"
)

// Encodings returns secret together with the encodings in which it travels
// in IMAP authentication, for NewSession: raw, base64, Go-quoted, and the
// base64 of every wire form of every SASL mechanism in authmech.All for
// user. Register the result so that a secret echoed back by a broken peer
// or quoted in an error is masked as well.
func Encodings(user, secret string) []string {
	if secret == "" {
		return nil
	}
	b64 := base64.StdEncoding.EncodeToString
	q := strconv.Quote(secret)
	out := []string{secret, b64([]byte(secret)), q[1 : len(q)-1]}
	for _, m := range authmech.All {
		if m.Wire == nil {
			continue
		}
		for _, w := range m.Wire(user, secret) {
			out = append(out, b64(w))
		}
	}
	return out
}
