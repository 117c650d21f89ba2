package fakeserver

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-sasl"
	"github.com/imapprobe/imapprobe/internal/authmech"
)

// oauthScope is the scope the fake claims in its OAuth error challenges, the
// one Gmail sends.
const (
	oauthScope        = "https://mail.google.com/"
	oauthOpenIDConfig = "https://accounts.google.com/.well-known/openid-configuration"
)

// xoauth2Server is the server side of Google's XOAUTH2: the client sends
// "user=U\x01auth=Bearer T\x01\x01"; a bad token gets a JSON challenge, the
// client answers with an empty line, and the server says NO.
type xoauth2Server struct {
	login  func(user, token string) bool
	failed bool
}

func (x *xoauth2Server) Next(resp []byte) ([]byte, bool, error) {
	if x.failed {
		return nil, true, imapserver.ErrAuthFailed
	}
	if resp == nil {
		return nil, false, nil // ask for the client's response
	}
	user, token, _ := authmech.Parse("XOAUTH2", resp)
	if user != "" && token != "" && x.login(user, token) {
		return nil, true, nil
	}
	x.failed = true
	challenge, _ := json.Marshal(map[string]string{
		"status":  "401",
		"schemes": "Bearer",
		"scope":   oauthScope,
	})
	return challenge, false, nil
}

// oauthBearerServer wraps go-sasl's RFC 7628 server: its errors become
// NO [AUTHENTICATIONFAILED] instead of NO [SERVERBUG], and an empty or
// wrong acknowledgement of the error challenge fails instead of panicking.
type oauthBearerServer struct {
	inner    sasl.Server
	answered bool // the client has sent its credentials
	failed   bool // the server answered them with an error challenge
}

func newOAuthBearerServer(login func(user, token string) bool) *oauthBearerServer {
	return &oauthBearerServer{inner: sasl.NewOAuthBearerServer(func(o sasl.OAuthBearerOptions) *sasl.OAuthBearerError {
		if o.Username != "" && login(o.Username, o.Token) {
			return nil
		}
		return &sasl.OAuthBearerError{Status: "invalid_token"}
	})}
}

var errAuthFailed = &imap.Error{
	Type: imap.StatusResponseTypeNo,
	Code: imap.ResponseCodeAuthenticationFailed,
	Text: "Authentication failed",
}

func (o *oauthBearerServer) Next(resp []byte) ([]byte, bool, error) {
	if o.failed {
		// RFC 7628 3.2.3: the client acknowledges the error with 0x01.
		return nil, true, errAuthFailed
	}
	if resp == nil {
		return []byte{}, false, nil
	}
	if o.answered {
		return nil, true, errAuthFailed
	}
	o.answered = true
	challenge, done, err := o.inner.Next(resp)
	if err != nil {
		return nil, true, errAuthFailed
	}
	if !done {
		// go-sasl's error JSON lacks openid-configuration; send RFC 7628's.
		o.failed = true
		challenge, _ = json.Marshal(map[string]string{
			"status":               "invalid_token",
			"scope":                oauthScope,
			"openid-configuration": oauthOpenIDConfig,
		})
	}
	return challenge, done, nil
}

// plainServer wraps go-sasl's PLAIN server: a malformed response (empty,
// as "AUTHENTICATE PLAIN =" sends, or without its two NULs) gets NO
// [AUTHENTICATIONFAILED], as Dovecot answers, instead of the NO
// [SERVERBUG] that imapserver makes of go-sasl's plain error.
type plainServer struct{ inner sasl.Server }

func (p *plainServer) Next(resp []byte) ([]byte, bool, error) {
	challenge, done, err := p.inner.Next(resp)
	if err != nil {
		if _, ok := errors.AsType[*imap.Error](err); !ok {
			err = errAuthFailed
		}
	}
	return challenge, done, err
}

// loginServer is the server side of the obsolete but common SASL LOGIN: the
// server asks "Username:" then "Password:"; an initial response is the user
// name.
type loginServer struct {
	login func(user, pass string) error
	user  []byte
	step  int
}

func (l *loginServer) Next(resp []byte) ([]byte, bool, error) {
	switch l.step {
	case 0:
		l.step = 1
		if resp == nil {
			return []byte("Username:"), false, nil
		}
		fallthrough
	case 1:
		l.user, l.step = resp, 2
		return []byte("Password:"), false, nil
	}
	return nil, true, l.login(string(l.user), string(resp))
}

// saslUser extracts the user a SASL client response names, for the
// connection record: PLAIN authzid\0user\0pass, XOAUTH2 user=...,
// OAUTHBEARER n,a=user,..., LOGIN's first response. It never returns the
// secret part. OAUTHBEARER's a= is an optional authorization identity a
// client may fill with anything, its token included, so it counts only
// when it names a seeded user.
func (c *conn) saslUser(mech, encoded string) string {
	if encoded == "" || encoded == "=" || encoded == "*" {
		return ""
	}
	resp, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return ""
	}
	if strings.EqualFold(mech, "LOGIN") {
		return string(resp) // the first response is the user name
	}
	u, _, _ := authmech.Parse(mech, resp)
	if strings.EqualFold(mech, "OAUTHBEARER") && c.srv.users.get(u) == nil {
		return ""
	}
	return u
}
