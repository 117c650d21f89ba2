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

	// QuitAfter ends the probe after the named step (swaks' --quit-after):
	// the later steps are reported as StatusNotRequested. "" runs them all,
	// and then credentials are required.
	QuitAfter string `json:"quit_after,omitempty"`
	// AllowWeakTLS lets credentials go over TLS older than 1.2.
	AllowWeakTLS bool `json:"allow_weak_tls,omitempty"`
	// Strict makes warnings count in Report.Result (exit code 1).
	Strict bool `json:"strict,omitempty"`

	// DialContext and LookupHost replace the network (tests, proxies).
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error) `json:"-"`
	LookupHost  func(ctx context.Context, host string) ([]string, error)          `json:"-"`

	// OnStep, if set, is called with each step as it ends (skipped ones
	// too), in order, on the probe's goroutine: a live view shows
	// progress with it. The Step is redacted like the report's; Probe's
	// returned Report is the final word (a reset on open later rewrites
	// the connect step there).
	OnStep func(Step) `json:"-"`
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
	return fmt.Sprintf("{Auth:%q Password:%s Token:%s InsecureSkipVerify:%v AllowPlaintextAuth:%v Select:%v StepTimeout:%s Timeout:%s Slow:%s ExpiryWarning:%s MaxFetch:%d SourceAddr:%q QuitAfter:%q AllowWeakTLS:%v Strict:%v}",
		o.Auth, mask(o.Password), mask(o.Token), o.InsecureSkipVerify, o.AllowPlaintextAuth, o.Select,
		o.StepTimeout, o.Timeout, o.Slow, o.ExpiryWarning, o.MaxFetch, o.SourceAddr, o.QuitAfter, o.AllowWeakTLS, o.Strict)
}

// GoString is String, for %#v.
func (o Options) GoString() string { return "prober.Options" + o.String() }

// LogValue keeps secrets out of log/slog output.
func (o Options) LogValue() slog.Value { return slog.StringValue(o.String()) }

// ValidateQuitAfter checks a --quit-after step name.
func ValidateQuitAfter(name string) error {
	for _, s := range Steps {
		if s == name && s != StepLogout {
			return nil
		}
	}
	return fmt.Errorf("unknown step %q for --quit-after: use one of %s", name, strings.Join(Steps[:len(Steps)-1], ", "))
}
