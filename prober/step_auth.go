package prober

import (
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/imapprobe/imapprobe/internal/authmech"
)

// The auth step is driven by hand, like the greeting and STARTTLS, rather
// than through imapclient: imapclient's Authenticate waits on a channel
// that nothing cancels when a server sends its error challenge and the
// tagged NO in one write, so no deadline or signal could end the probe.
// Driving it by hand also sees the untagged CAPABILITY a server sends
// before its tagged OK, which imapclient drops.

// AuthDetails is the evidence of the auth step.
type AuthDetails struct {
	Mechanism string `json:"mechanism"` // LOGIN, PLAIN, XOAUTH2, OAUTHBEARER or PREAUTH
	// Credential is "password" or "token": which one was sent.
	Credential        string   `json:"credential,omitempty"`
	CapabilitiesAfter []string `json:"capabilities_after,omitempty"`
	// TokenError is the server's decoded OAuth2 error challenge, if any.
	TokenError map[string]any `json:"token_error,omitempty"`
}

// maxChallenges bounds a SASL exchange: PLAIN, XOAUTH2 and OAUTHBEARER
// need at most two round trips.
const maxChallenges = 4

// minCredentialTLS is the oldest TLS version credentials are sent over
// unless Options.AllowWeakTLS is set.
const minCredentialTLS = tls.VersionTLS12

// credentialsMissing says why auth cannot run, or "".
func (p *probe) credentialsMissing() string {
	switch {
	case p.o.Password == "" && p.o.Token == "":
		return "no password or token was given"
	case p.t.User == "":
		return "no user name was given"
	}
	if m, ok := authmech.Lookup(p.o.Auth); ok && p.o.secret(m.Credential) == "" {
		return "--auth " + p.o.Auth + " needs a " + string(m.Credential) + ", and none was given"
	}
	return ""
}

// secret is the password or the token, as c asks.
func (o Options) secret(c authmech.Credential) string {
	if c == authmech.Token {
		return o.Token
	}
	return o.Password
}

func isTokenMech(name string) bool {
	m, ok := authmech.Lookup(name)
	return ok && m.Credential == authmech.Token
}

// chooseMech picks the mechanism from authmech.All: an explicit --auth
// first, then what the server offers for the credentials at hand (a token
// where the server takes OAuth, else the password), so that a stale token
// in the environment does not shadow a valid password.
func (p *probe) chooseMech(caps capSet, tlsOn bool) (mech string, code Code, detail string) {
	offered := caps.mechanisms()
	list := "server offers: " + strings.Join(append(offered, loginWord(caps)), " ")
	missing := func(m string) (string, Code, string) {
		if caps.Has("LOGINDISABLED") && !tlsOn {
			return "", "auth.login_disabled", "the server advertises LOGINDISABLED and not AUTH=" + m + " on this unencrypted connection"
		}
		return "", "auth.mechanism_unsupported", "AUTH=" + m + " is not offered; " + list
	}
	if p.o.Auth != "" {
		m, ok := authmech.Lookup(p.o.Auth)
		switch {
		case !ok:
			return "", "auth.mechanism_unsupported", fmt.Sprintf("unknown mechanism %q: use %s", p.o.Auth, strings.Join(authmech.Names(), ", "))
		case !m.SASL && caps.Has("LOGINDISABLED"):
			return "", "auth.login_disabled", "the server advertises LOGINDISABLED; " + list
		case m.SASL && !caps.Has("AUTH="+m.Name):
			return missing(m.Name)
		}
		return m.Name, "", ""
	}
	usable := func(c authmech.Credential) (names []string, found string) {
		for _, m := range authmech.All {
			switch {
			case m.Credential != c:
			case m.SASL && caps.Has("AUTH="+m.Name), !m.SASL && !caps.Has("LOGINDISABLED"):
				return nil, m.Name
			case m.SASL:
				names = append(names, m.Name)
			}
		}
		return names, ""
	}
	if p.o.Token != "" {
		names, found := usable(authmech.Token)
		if found != "" {
			return found, "", ""
		}
		if p.o.Password == "" {
			return missing(strings.Join(names, " or "))
		}
	}
	names, found := usable(authmech.Password)
	if found != "" {
		return found, "", ""
	}
	return "", "auth.login_disabled", "the server advertises LOGINDISABLED and no AUTH=" + strings.Join(names, " or AUTH=") + "; " + list
}

func loginWord(c capSet) string {
	if c.Has("LOGINDISABLED") {
		return "(LOGINDISABLED)"
	}
	return "(LOGIN command)"
}

func (p *probe) auth(in session, s *Step) (session, bool) {
	d := &AuthDetails{}
	s.Details = d
	if in.server.preauth {
		d.Mechanism = "PREAUTH"
		s.Note = "server sent PREAUTH: already authenticated, no credentials sent"
		d.CapabilitiesAfter = in.server.caps.list
		return in, true
	}
	if why := p.credentialsMissing(); why != "" {
		return in, p.fail(s, "auth.no_credentials", why+", so login was not tested")
	}
	if !in.tls.on && !p.o.AllowPlaintextAuth {
		return in, p.fail(s, "auth.insecure_transport", "the connection is not encrypted (TLS mode "+string(p.t.TLS)+"); no credentials were sent")
	}
	if in.tls.on && in.tls.version < minCredentialTLS && !p.o.AllowWeakTLS {
		return in, p.fail(s, "auth.weak_tls", "the connection negotiated "+tls.VersionName(in.tls.version)+"; no credentials were sent below TLS 1.2")
	}
	mech, code, detail := p.chooseMech(in.server.caps, in.tls.on)
	if code != "" {
		return in, p.fail(s, code, detail)
	}
	d.Mechanism, d.Credential = mech, "password"
	if isTokenMech(mech) {
		d.Credential = string(authmech.Token)
	}
	if p.o.Password != "" && p.o.Token != "" {
		s.Note = "a password and a token were both given; the " + d.Credential + " was used (choose with --auth)"
	}
	var r *response
	var challenge []byte
	if mech == "LOGIN" {
		r, code, detail = p.login(in.wire, in.server.caps)
	} else {
		r, challenge, code, detail = p.authenticate(in.wire, in.server.caps, mech)
	}
	if code != "" {
		return in, p.fail(s, code, detail)
	}
	if r.status != "OK" {
		d.TokenError = tokenError(challenge, p.red.Scrub)
		code, detail := authErr(mech, statusError(r), d.TokenError)
		return in, p.fail(s, code, detail)
	}
	caps := capsFromCode(r.text[strings.IndexByte(r.text, ' ')+1:])
	for _, u := range r.untagged {
		if isUntagged(u, "CAPABILITY") {
			caps = append(caps, strings.Fields(u[len("* CAPABILITY"):])...)
		}
	}
	if len(caps) == 0 {
		var ok bool
		if caps, ok = p.fetchCaps(in.wire, s, StepAuth); !ok {
			return in, false
		}
	}
	in.server.caps, in.server.authed = parseCaps(caps), true
	d.CapabilitiesAfter = append([]string(nil), in.server.caps.list...)
	sort.Strings(d.CapabilitiesAfter)
	return in, true
}

// login sends LOGIN with both arguments as astrings.
func (p *probe) login(w *wire, caps capSet) (*response, Code, string) {
	tag := w.nextTag()
	lits := caps.Has("LITERAL+") || caps.Has("LITERAL-")
	parts := []string{tag + " LOGIN "}
	for i, arg := range []string{p.t.User, p.o.Password} {
		if i > 0 {
			parts[len(parts)-1] += " "
		}
		if q, ok := quoteString(arg); ok {
			parts[len(parts)-1] += q
			continue
		}
		if lits && len(arg) <= 4096 {
			parts[len(parts)-1] += "{" + strconv.Itoa(len(arg)) + "+}\r\n" + arg
			continue
		}
		parts[len(parts)-1] += "{" + strconv.Itoa(len(arg)) + "}"
		parts = append(parts, arg)
	}
	for i, part := range parts {
		if i > 0 {
			// a synchronising literal: wait for the server's go-ahead
			line, err := w.readLine()
			if err != nil {
				code, detail := p.ioCode(w.tap, StepAuth, err)
				return nil, code, detail
			}
			if !strings.HasPrefix(line, "+") {
				return p.finish(w, StepAuth, tag, "LOGIN", line)
			}
		}
		if err := w.write(part + "\r\n"); err != nil {
			code, detail := p.ioCode(w.tap, StepAuth, err)
			return nil, code, detail
		}
	}
	return p.finish(w, StepAuth, tag, "LOGIN", "")
}

// quoteString returns s as an IMAP quoted string, or false when s needs a
// literal (CR, LF, NUL, or 8-bit bytes, which IMAP4rev1 quoted strings
// cannot carry).
func quoteString(s string) (string, bool) {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == 0 || c == '\r' || c == '\n' || c >= 0x80:
			return "", false
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String(), true
}

// authenticate runs one SASL exchange. It returns the first server
// challenge that carried data (an OAuth error JSON, say) for the report.
func (p *probe) authenticate(w *wire, caps capSet, mech string) (*response, []byte, Code, string) {
	m, _ := authmech.Lookup(mech)
	ir := m.Initial(p.t.User, p.o.secret(m.Credential))
	tag := w.nextTag()
	cmd := tag + " AUTHENTICATE " + mech
	if caps.Has("SASL-IR") {
		cmd += " " + base64.StdEncoding.EncodeToString(ir)
		ir = nil
	}
	if err := w.write(cmd + "\r\n"); err != nil {
		code, detail := p.ioCode(w.tap, StepAuth, err)
		return nil, nil, code, detail
	}
	var challenge []byte
	for n := 0; ; n++ {
		line, err := w.readLine()
		if err != nil {
			code, detail := p.ioCode(w.tap, StepAuth, err)
			return nil, challenge, code, detail
		}
		if !strings.HasPrefix(line, "+") {
			r, code, detail := p.finish(w, StepAuth, tag, "AUTHENTICATE", line)
			return r, challenge, code, detail
		}
		if n >= maxChallenges {
			return nil, challenge, "auth.malformed", fmt.Sprintf("the server sent more than %d SASL challenges", maxChallenges)
		}
		data, err := base64.StdEncoding.DecodeString(strings.TrimSpace(strings.TrimPrefix(line, "+")))
		if err != nil {
			return nil, challenge, "auth.malformed", "SASL challenge is not base64: " + quote([]byte(line))
		}
		reply := ""
		switch {
		case ir != nil && len(data) == 0:
			reply, ir = base64.StdEncoding.EncodeToString(ir), nil
		case m.ErrorReply != nil:
			// e.g. OAUTHBEARER's 0x01, so that the server ends the
			// exchange with a tagged NO
			reply = base64.StdEncoding.EncodeToString(m.ErrorReply)
		}
		if challenge == nil && len(data) > 0 {
			challenge = data[:min(len(data), 16<<10)]
		}
		// anything else (XOAUTH2's error challenge, a stray one): an empty
		// reply, which RFC 4959 spells as an empty line
		if err := w.write(reply + "\r\n"); err != nil {
			code, detail := p.ioCode(w.tap, StepAuth, err)
			return nil, challenge, code, detail
		}
	}
}
