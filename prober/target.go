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
// is refused, so that it never lands in shell history.
func ParseURL(raw string) (Target, error) {
	if !strings.Contains(raw, "://") {
		return Target{}, fmt.Errorf("%q is not a URL: use imaps://user@host/INBOX or imap://user@host/INBOX", raw)
	}
	u, err := url.Parse(raw)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
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
			return Target{}, errors.New("password in URL refused: remove it and use IMAPPROBE_PASSWORD, --password-file or the prompt")
		}
		t.User = u.User.Username()
	}
	t.Host = u.Hostname()
	if t.Host == "" {
		return Target{}, fmt.Errorf("no host in URL %q: use imaps://user@host/INBOX", raw)
	}
	t.Port = t.TLS.DefaultPort()
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return Target{}, fmt.Errorf("bad port %q in URL: use 1-65535", p)
		}
		t.Port = n
	} else if strings.HasSuffix(u.Host, ":") {
		return Target{}, fmt.Errorf("empty port in URL %q: drop the colon or add a port", raw)
	}
	t.Mailbox = strings.TrimPrefix(u.Path, "/")
	if u.RawQuery != "" || u.Fragment != "" {
		return Target{}, fmt.Errorf("unexpected query or fragment in URL %q: a mailbox name with ? or # must be percent-encoded (%%3F, %%23), or given with --mailbox", raw)
	}
	return t, nil
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
