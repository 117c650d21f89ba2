// Package authmech is the one table of the authentication mechanisms
// imapprobe speaks: for each, its name, the credential it needs, and the
// exact bytes it puts on the wire. The prober builds its messages from it,
// the command line validates --auth against it, and internal/redact
// registers every wire form it lists, so a mechanism added here is masked
// everywhere without a second list to forget.
package authmech

import (
	"strings"
)

// Credential is what a mechanism sends.
type Credential string

// Credentials.
const (
	Password Credential = "password"
	Token    Credential = "token"
)

// Mechanism describes one way to log in.
type Mechanism struct {
	Name       string     // as in AUTH=NAME, upper-case; LOGIN is the LOGIN command
	Credential Credential // what it needs
	SASL       bool       // sent with AUTHENTICATE (false: the LOGIN command)
	// Wire returns every message this mechanism may carry for user and
	// secret, the one the prober sends first. Only SASL mechanisms have
	// them; LOGIN's password is an argument, masked by its position.
	Wire func(user, secret string) [][]byte
	// ErrorReply answers a server's error challenge, so that the server
	// ends the exchange with a tagged NO (nil: an empty reply).
	ErrorReply []byte
}

// Initial is the SASL initial response the prober sends.
func (m Mechanism) Initial(user, secret string) []byte {
	if m.Wire == nil {
		return nil
	}
	return m.Wire(user, secret)[0]
}

// All lists the mechanisms, in the order a default probe prefers them
// within each credential.
var All = []Mechanism{
	{Name: "OAUTHBEARER", Credential: Token, SASL: true, ErrorReply: []byte{0x01}, // RFC 7628 section 3.2.3
		Wire: func(user, token string) [][]byte {
			tail := ",\x01auth=Bearer " + token + "\x01\x01"
			return [][]byte{[]byte("n,a=" + EscapeAuthzid(user) + tail), []byte("n,a=" + user + tail), []byte("n," + tail)}
		}},
	{Name: "XOAUTH2", Credential: Token, SASL: true,
		Wire: func(user, token string) [][]byte {
			return [][]byte{[]byte("user=" + user + "\x01auth=Bearer " + token + "\x01\x01")}
		}},
	{Name: "PLAIN", Credential: Password, SASL: true,
		Wire: func(user, password string) [][]byte {
			return [][]byte{[]byte("\x00" + user + "\x00" + password), []byte(user + "\x00" + user + "\x00" + password)}
		}},
	{Name: "LOGIN", Credential: Password},
}

// Lookup finds a mechanism by name, case-insensitively.
func Lookup(name string) (Mechanism, bool) {
	for _, m := range All {
		if strings.EqualFold(m.Name, name) {
			return m, true
		}
	}
	return Mechanism{}, false
}

// Names lists the mechanism names in lower case, for --auth.
func Names() []string {
	out := make([]string, len(All))
	for i, m := range All {
		out[i] = strings.ToLower(m.Name)
	}
	return out
}

// EscapeAuthzid escapes a GS2 authorization identity (RFC 5801 section 4).
func EscapeAuthzid(s string) string {
	return strings.NewReplacer("=", "=3D", ",", "=2C").Replace(s)
}
