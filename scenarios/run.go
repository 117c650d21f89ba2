package scenarios

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"slices"
	"strconv"
	"time"

	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/faults"
	"github.com/imapprobe/imapprobe/internal/closedport"
	"github.com/imapprobe/imapprobe/prober"
)

// Outcome is the verdict the prober actually gave, in the shape of Want.
type Outcome struct {
	Want
	// SkippedAfter is false when a step after the failing one was not
	// reported as skipped.
	SkippedAfter bool `json:"skipped_after"`
}

// Result is one scenario run.
type Result struct {
	Scenario Scenario       `json:"scenario"`
	Got      Outcome        `json:"got"`
	Match    bool           `json:"match"`
	Elapsed  time.Duration  `json:"elapsed_ns"`
	Report   *prober.Report `json:"report"`
}

// ServerOptions returns the fake-server options that put a server into the
// scenario, with the given user password and OAuth token.
func (s Scenario) ServerOptions(user, password, token string) ([]fakeserver.Option, error) {
	mode, err := fakeserver.ParseMode(s.Server.ModeName())
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", s.Name, err)
	}
	set, err := faults.ParseAll(s.Faults)
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", s.Name, err)
	}
	opts := []fakeserver.Option{
		fakeserver.WithMode(mode),
		fakeserver.WithBothPorts(),
		fakeserver.WithUser(user, password),
		fakeserver.WithToken(user, token),
		fakeserver.WithFaults(set...),
	}
	if s.Server.AllowPlaintextAuth {
		opts = append(opts, fakeserver.WithAllowPlaintextAuth(true))
	}
	if s.Server.RestrictedMailbox != "" {
		opts = append(opts, fakeserver.WithRestrictedMailbox(s.Server.RestrictedMailbox))
	}
	return opts, nil
}

// Run starts a fake server in the scenario, probes it and compares the
// verdict with Want.
func Run(ctx context.Context, s Scenario) (Result, error) {
	if s.Recording != nil {
		return runRecording(ctx, s)
	}
	password, token := secret(), secret()
	opts, err := s.ServerOptions(fakeserver.DefaultUser, password, token)
	if err != nil {
		return Result{}, err
	}
	srv, err := fakeserver.Start(opts...)
	if err != nil {
		return Result{}, fmt.Errorf("scenario %s: start fake server: %w", s.Name, err)
	}
	defer srv.Close()

	target, popts, err := s.ProbeSettings(srv, password, token)
	if err != nil {
		return Result{}, err
	}
	start := time.Now()
	rep := prober.Probe(ctx, target, popts)
	res := Result{Scenario: s, Elapsed: time.Since(start), Report: rep, Got: OutcomeOf(rep)}
	res.Match = res.Got.SkippedAfter && equalWant(res.Got.Want, s.Want)
	return res, nil
}

// ProbeSettings returns the prober target and options that probe srv the way
// the scenario says.
func (s Scenario) ProbeSettings(srv *fakeserver.Server, password, token string) (prober.Target, prober.Options, error) {
	p := s.Probe
	tlsMode := prober.TLSMode(p.TLS)
	if tlsMode == "" {
		switch srv.Mode() {
		case fakeserver.ModeImplicitTLS:
			tlsMode = prober.TLSImplicit
		case fakeserver.ModePlaintext:
			tlsMode = prober.TLSNone
		default:
			tlsMode = prober.TLSStartTLS
		}
	}
	port := p.Port
	if port == "" {
		port = "plain"
		if tlsMode == prober.TLSImplicit {
			port = "tls"
		}
	}
	addr := srv.PlainAddr()
	if port == "tls" {
		addr = srv.TLSAddr()
	}
	if p.ClosedPort {
		closed, err := ClosedPort()
		if err != nil {
			return prober.Target{}, prober.Options{}, err
		}
		addr = closed
	}
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return prober.Target{}, prober.Options{}, fmt.Errorf("scenario %s: %w", s.Name, err)
	}
	portNum, _ := strconv.Atoi(portStr)
	if p.Host != "" {
		host = p.Host
	}
	user, _ := srv.User()
	target := prober.Target{Host: host, Port: portNum, TLS: tlsMode, User: user, Mailbox: p.Mailbox}
	if p.WrongSecret {
		password, token = "wrong-"+password, "wrong-"+token
	}
	opts := prober.Options{
		Auth:               p.Auth,
		InsecureSkipVerify: p.InsecureSkipVerify,
		AllowPlaintextAuth: p.AllowPlaintextAuth,
		Select:             p.Select,
		StepTimeout:        orDuration(p.StepTimeout, 5*time.Second),
		Timeout:            20 * time.Second,
		Slow:               orDuration(p.Slow, 2*time.Second),
		QuitAfter:          p.QuitAfter,
		AllowWeakTLS:       p.AllowWeakTLS,
	}
	switch {
	case p.NoCredentials:
	case p.Auth == "xoauth2" || p.Auth == "oauthbearer":
		opts.Token = token
	default:
		opts.Password = password
	}
	if !p.UntrustedCA {
		opts.RootCAs = srv.CAPool()
	}
	return target, opts, nil
}

// OutcomeOf reduces a report to its verdict.
func OutcomeOf(rep *prober.Report) Outcome {
	step, code := rep.Failure()
	out := Outcome{Want: Want{Step: step, Code: code}, SkippedAfter: true}
	if code == "" {
		out.Code = OK
	}
	failed := false
	for _, st := range rep.Steps {
		if failed && st.Status != prober.StatusSkipped {
			out.SkippedAfter = false
		}
		if st.Status == prober.StatusFail {
			failed = true
		}
		for _, w := range st.Warnings {
			out.Warnings = append(out.Warnings, w.Code)
		}
	}
	return out
}

func equalWant(a, b Want) bool {
	return a.Step == b.Step && a.Code == b.Code && slices.Equal(a.Warnings, b.Warnings)
}

// ClosedPort returns a loopback address nothing listens on, for a
// scenario with Probe.ClosedPort: one that stays refused however many
// scenarios run beside it (see internal/closedport).
func ClosedPort() (string, error) { return closedport.Addr() }

func secret() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func orString(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func orDuration(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}
