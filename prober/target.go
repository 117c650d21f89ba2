package prober

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/imapprobe/imapprobe/internal/redact"
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

// Options tune a probe. The zero value is usable.
type Options struct {
	// Auth picks the mechanism: "" (best offered), "login", "plain",
	// "xoauth2" or "oauthbearer".
	Auth string `json:"auth,omitempty"`
	// Password and Token are secrets: never printed, logged or serialised.
	Password string `json:"-"`
	Token    string `json:"-"`

	RootCAs            *x509.CertPool `json:"-"` // nil: system roots
	InsecureSkipVerify bool           `json:"insecure_skip_verify,omitempty"`
	AllowPlaintextAuth bool           `json:"allow_plaintext_auth,omitempty"`
	Select             bool           `json:"select,omitempty"` // SELECT instead of EXAMINE

	StepTimeout   time.Duration `json:"step_timeout_ns,omitempty"`   // per step; default 10 s
	Timeout       time.Duration `json:"timeout_ns,omitempty"`        // whole probe; default 60 s
	Slow          time.Duration `json:"slow_ns,omitempty"`           // slow-step warning; default 2 s
	ExpiryWarning time.Duration `json:"expiry_warning_ns,omitempty"` // default 14 days
	MaxFetch      int64         `json:"max_fetch,omitempty"`         // body bytes fetched; default 1 MiB

	SourceAddr string `json:"source_addr,omitempty"` // local IP to connect from

	// DialContext and LookupHost replace the network (tests, proxies).
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error) `json:"-"`
	LookupHost  func(ctx context.Context, host string) ([]string, error)          `json:"-"`
}

// Defaults used for zero Options fields.
const (
	DefaultStepTimeout   = 10 * time.Second
	DefaultTimeout       = 60 * time.Second
	DefaultSlow          = 2 * time.Second
	DefaultExpiryWarning = 14 * 24 * time.Hour
	DefaultMaxFetch      = 1 << 20
)

func (o Options) withDefaults() Options {
	if o.StepTimeout <= 0 {
		o.StepTimeout = DefaultStepTimeout
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Slow <= 0 {
		o.Slow = DefaultSlow
	}
	if o.ExpiryWarning <= 0 {
		o.ExpiryWarning = DefaultExpiryWarning
	}
	if o.MaxFetch <= 0 {
		o.MaxFetch = DefaultMaxFetch
	}
	o.Auth = strings.ToLower(o.Auth)
	return o
}

// String describes the options without their secrets, so that printing
// Options (%v, %+v, %s) never shows a password or token.
func (o Options) String() string {
	mask := func(s string) string {
		if s == "" {
			return `""`
		}
		return redact.Marker
	}
	return fmt.Sprintf("{Auth:%q Password:%s Token:%s InsecureSkipVerify:%v AllowPlaintextAuth:%v Select:%v StepTimeout:%s Timeout:%s Slow:%s ExpiryWarning:%s MaxFetch:%d SourceAddr:%q}",
		o.Auth, mask(o.Password), mask(o.Token), o.InsecureSkipVerify, o.AllowPlaintextAuth, o.Select,
		o.StepTimeout, o.Timeout, o.Slow, o.ExpiryWarning, o.MaxFetch, o.SourceAddr)
}

// GoString is String, for %#v.
func (o Options) GoString() string { return "prober.Options" + o.String() }

// LogValue keeps secrets out of log/slog output.
func (o Options) LogValue() slog.Value { return slog.StringValue(o.String()) }
