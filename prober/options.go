package prober

import (
	"context"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/imapprobe/imapprobe/internal/redact"
)

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
