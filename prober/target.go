package prober

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// TLSMode says how the connection is encrypted.
type TLSMode string

// TLS modes.
const (
	TLSImplicit TLSMode = "implicit" // TLS from the first byte (imaps, port 993)
	TLSStartTLS TLSMode = "starttls" // plaintext, then STARTTLS is required (imap, port 143)
	TLSNone     TLSMode = "none"     // no encryption at all
)

// ParseTLSMode parses "implicit", "starttls" or "none".
func ParseTLSMode(s string) (TLSMode, error) {
	switch m := TLSMode(strings.ToLower(s)); m {
	case TLSImplicit, TLSStartTLS, TLSNone:
		return m, nil
	}
	return "", fmt.Errorf("unknown TLS mode %q: use implicit, starttls or none", s)
}

// DefaultPort returns 993 for implicit TLS and 143 otherwise.
func (m TLSMode) DefaultPort() int {
	if m == TLSImplicit {
		return 993
	}
	return 143
}

// Target is what to probe.
type Target struct {
	Host    string  `json:"host"`
	Port    int     `json:"port"`
	TLS     TLSMode `json:"tls"`
	User    string  `json:"user,omitempty"`
	Mailbox string  `json:"mailbox,omitempty"` // "" means INBOX
	// ConnectAddr, if set, is the IP (optionally IP:port) to connect to
	// instead of resolving Host; certificates are still verified for Host.
	ConnectAddr string `json:"connect_addr,omitempty"`
	// ServerName overrides Host for SNI and certificate verification.
	ServerName string `json:"server_name,omitempty"`
}

// Validate checks the target for usage errors.
func (t Target) Validate() error {
	if t.Host == "" {
		return errors.New("no host given: pass a URL such as imaps://alice@mail.example.com/INBOX or --host")
	}
	if t.Port < 1 || t.Port > 65535 {
		return fmt.Errorf("port %d out of range: use 1-65535", t.Port)
	}
	if _, err := ParseTLSMode(string(t.TLS)); err != nil {
		return err
	}
	if t.ConnectAddr != "" {
		if _, _, err := splitConnectAddr(t.ConnectAddr, t.Port); err != nil {
			return err
		}
	}
	return nil
}

// ParseURL parses imaps://user@host[:port]/mailbox (implicit TLS, port 993)
// or imap://user@host[:port]/mailbox (STARTTLS required, port 143). The
// user may be percent-encoded (alice%40example.com). A password in the URL
// is refused, so that it never lands in shell history, and no error ever
// quotes one: a URL that looks like it holds USER:PASSWORD@, in whatever
// malformed shape, is refused before anything else could echo it.
func ParseURL(raw string) (Target, error) {
	if looksLikePassword(raw) && !atInMailbox(raw) {
		if u, err := url.Parse(raw); err == nil && u.User != nil && strings.Contains(raw, "://") {
			if _, has := u.User.Password(); has {
				return Target{}, errPasswordInURL
			}
		}
		// Malformed (imaps:/alice:PW@host, a '/' or '#' in the password):
		// refuse here, before any later error could quote it.
		return Target{}, errors.New(errPasswordInURL.Error() + "; a ':' or '@' in a user name or mailbox must be percent-encoded (%3A, %40)")
	}
	if !strings.Contains(raw, "://") {
		if m := imapScheme(raw); m != "" && shown(raw) == strconv.Quote(raw) {
			word := m[:len(m)-1]
			scheme, rest := strings.ToLower(word), strings.TrimLeft(raw[len(m):], "/\\")
			if at := strings.LastIndexByte(rest, '@'); at >= 0 && !strings.HasPrefix(raw[len(m):], "/") && !strings.HasPrefix(raw[len(m):], "\\") {
				// imaps:X@host may as well be USER:PASSWORD@host with no
				// scheme: quote neither X nor the input
				return Target{}, fmt.Errorf("the URL lacks the // after %q: write %q, with the user name for USER", m, scheme+"://USER"+rest[at:])
			}
			return Target{}, fmt.Errorf("%q lacks the // after the scheme: write %q", raw, scheme+"://"+rest)
		}
		return Target{}, fmt.Errorf("%s is not a URL: use imaps://user@host/INBOX or imap://user@host/INBOX", shown(raw))
	}
	u, err := url.Parse(raw)
	if err != nil {
		if user, ok := badUser(raw); ok {
			return Target{}, fmt.Errorf("user name %q in the URL must be percent-encoded: write %s (a space is %%20, @ is %%40), or use --user", user, url.User(user).String()+"@")
		}
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		if shown(raw) != strconv.Quote(raw) {
			return Target{}, errors.New("bad URL: use imaps://user@host/INBOX") // net/url quotes pieces of it
		}
		return Target{}, fmt.Errorf("bad URL: %v: use imaps://user@host/INBOX", err)
	}
	var t Target
	switch strings.ToLower(u.Scheme) {
	case "imaps":
		t.TLS = TLSImplicit
	case "imap":
		t.TLS = TLSStartTLS
	default:
		return Target{}, fmt.Errorf("unsupported URL scheme %q: use imaps:// (implicit TLS) or imap:// (STARTTLS)", u.Scheme)
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			return Target{}, errPasswordInURL
		}
		t.User = u.User.Username()
	}
	t.Host = u.Hostname()
	if t.Host == "" {
		return Target{}, fmt.Errorf("no host in URL %s: use imaps://user@host/INBOX", shown(raw))
	}
	t.Port = t.TLS.DefaultPort()
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return Target{}, fmt.Errorf("bad port %q in URL: use 1-65535", p)
		}
		t.Port = n
	} else if strings.HasSuffix(u.Host, ":") {
		return Target{}, fmt.Errorf("empty port in URL %s: drop the colon or add a port", shown(raw))
	}
	t.Mailbox = strings.TrimPrefix(u.Path, "/")
	if u.RawQuery != "" || u.Fragment != "" {
		return Target{}, fmt.Errorf("unexpected query or fragment in URL %s: a mailbox name with ? or # must be percent-encoded (%%3F, %%23), or given with --mailbox", shown(raw))
	}
	return t, nil
}

var errPasswordInURL = errors.New("password in URL refused: remove it and use IMAPPROBE_PASSWORD, --password-file or the prompt")

// imapScheme returns "imap:" or "imaps:", as spelt, at the start of s
// (imaps:/host, imaps:host, IMAPS:\\host), or "". It and leadingScheme are
// hand-written, not regexps compiled at every probe's start (1% of a
// probe's CPU); TestSchemeScanners holds the patterns they implement.
func imapScheme(s string) string {
	n := imapWord(s)
	if n > 0 && n < len(s) && s[n] == ':' {
		return s[:n+1]
	}
	return ""
}

// imapWord is the length of "imap" or "imaps", in any case, at the start
// of s, or 0.
func imapWord(s string) int {
	if len(s) < 4 || !strings.EqualFold(s[:4], "imap") {
		return 0
	}
	if len(s) > 4 && (s[4] == 's' || s[4] == 'S') && (len(s) == 5 || s[5] == ':' || isSlash(s[5])) {
		return 5
	}
	return 4
}

func isSlash(c byte) bool { return c == '/' || c == '\\' }

// leadingScheme is a scheme and the slashes after it, however mistyped:
// imaps://, imaps:/, imaps:, imaps//, imaps:\\.
func leadingScheme(s string) string {
	if len(s) > 0 && isLetter(s[0]) {
		i := 1
		for i < len(s) && (isLetter(s[i]) || s[i] >= '0' && s[i] <= '9' || s[i] == '+' || s[i] == '.' || s[i] == '-') {
			i++
		}
		if i < len(s) && s[i] == ':' {
			i++
			for i < len(s) && isSlash(s[i]) {
				i++
			}
			return s[:i]
		}
	}
	if n := imapWord(s); n > 0 {
		i := n
		for i < len(s) && isSlash(s[i]) {
			i++
		}
		if i > n {
			return s[:i]
		}
	}
	return ""
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// looksLikePassword reports whether raw may hold USER:PASSWORD@ in any
// shape: a ':' after the scheme and before the last '@'. It errs towards
// yes; ParseURL uses it only to refuse a URL before an error quotes it.
func looksLikePassword(raw string) bool { return colonBeforeAt(raw, false) }

// colonBeforeAt reports a ':' before the last '@', past a leading scheme.
// Only imap: and imaps: count as a scheme when imapOnly; otherwise also
// any word followed by slashes (imsp://). Never a bare word: in
// alice:PW@host, "alice:" is the user.
func colonBeforeAt(raw string, imapOnly bool) bool {
	at := strings.LastIndexByte(raw, '@')
	if at < 0 {
		return false
	}
	left := raw[:at]
	if m := leadingScheme(left); m != "" && (imapScheme(m) != "" || !imapOnly && strings.ContainsAny(m, "/\\")) {
		left = left[len(m):]
	}
	return strings.Contains(left, ":")
}

// atInMailbox reports whether raw is a well-formed URL whose '@' after a
// ':' is in the user name (alice@host:993/a@b) or the mailbox
// (host:993/shared/bob@example.com), not in a password.
func atInMailbox(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || !strings.Contains(raw, "://") || u.Host == "" || strings.Contains(u.RawQuery+u.Fragment, "@") {
		return false
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			return false
		}
	}
	if !strings.Contains(u.Path, "@") {
		return u.User != nil
	}
	// imaps://alice:12/ss@host/ parses as host alice, port 12 and mailbox
	// ss@host/: a real host name has a dot, or is an IP or localhost.
	h := u.Hostname()
	first, _, _ := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
	return !strings.Contains(first, "@") || strings.Contains(h, ".") || net.ParseIP(h) != nil || strings.EqualFold(h, "localhost")
}

// shown quotes raw for an error message, unless it may hold a password:
// stricter than looksLikePassword, as in A0:/PW@host the A0 may be a user.
func shown(raw string) string {
	if colonBeforeAt(raw, true) {
		return "(not shown: it may hold a password)"
	}
	return strconv.Quote(raw)
}

// badUser returns the user name of scheme://USER@host when net/url
// refused it for a character that needs percent-encoding (my user).
func badUser(raw string) (string, bool) {
	_, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return "", false
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	at := strings.LastIndexByte(rest, '@')
	if at <= 0 {
		return "", false
	}
	user := rest[:at]
	if _, err := url.Parse("imaps://" + url.User(user).String() + "@h"); err != nil || strings.Contains(user, "%") {
		return "", false // an invalid %-escape is not fixed by encoding again
	}
	return user, url.User(user).String() != user
}

func splitConnectAddr(addr string, port int) (net.IP, int, error) {
	if ip := net.ParseIP(strings.Trim(addr, "[]")); ip != nil {
		return ip, port, nil
	}
	h, p, err := net.SplitHostPort(addr)
	if err == nil {
		n, perr := strconv.Atoi(p)
		if ip := net.ParseIP(h); ip != nil && perr == nil && n > 0 && n < 65536 {
			return ip, n, nil
		}
	}
	return nil, 0, fmt.Errorf("bad --connect-addr %q: give an IP address, optionally with :port", addr)
}
