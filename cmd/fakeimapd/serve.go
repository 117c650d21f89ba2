package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/imapprobe/imapprobe/fakeserver"
)

// ready is the JSON line printed on stdout once the server listens.
type ready struct {
	Addr    string   `json:"addr"`
	TLSAddr string   `json:"tls_addr,omitempty"`
	URL     string   `json:"url"`
	Control string   `json:"control,omitempty"`
	Users   []string `json:"users"`
	Faults  []string `json:"faults"`
	// Upstream is the real server a proxy passes sessions to.
	Upstream string `json:"upstream,omitempty"`
	// Login says, for a proxy, whose credentials a client logs in with.
	Login string `json:"login,omitempty"`
	// Record is the directory a proxy writes its session recordings to.
	Record string `json:"record,omitempty"`
	// ProbeCommand reproduces --scenario's diagnosis; ProbeSideOnly says
	// why there is none.
	ProbeCommand  string `json:"probe_command,omitempty"`
	ProbeSideOnly string `json:"probe_side_only,omitempty"`
}

func serverOptions(o *options, logger *slog.Logger) []fakeserver.Option {
	opts := []fakeserver.Option{
		fakeserver.WithMode(o.mode),
		fakeserver.WithPersona(o.persona),
		fakeserver.WithMessages(o.messages),
		fakeserver.WithSeed(o.seeds...), // before --user, which may then set a seeded user's password
		fakeserver.WithFreshState(o.fresh),
		fakeserver.WithFaults(o.faults...),
		fakeserver.WithLogger(logger),
	}
	if !o.quiet {
		opts = append(opts, fakeserver.WithLogTranscripts())
	}
	if o.listen != "" {
		opts = append(opts, fakeserver.WithListen(o.listen))
	}
	if o.tlsListen != "" {
		opts = append(opts, fakeserver.WithTLSListen(o.tlsListen))
	}
	if (o.mode == fakeserver.ModeImplicitTLS && o.listen != "") || (o.mode != fakeserver.ModeImplicitTLS && o.tlsListen != "") {
		opts = append(opts, fakeserver.WithBothPorts())
	}
	if o.allowPlainAuth {
		opts = append(opts, fakeserver.WithAllowPlaintextAuth(true))
	}
	if o.restricted != "" {
		opts = append(opts, fakeserver.WithRestrictedMailbox(o.restricted))
	}
	if o.upstream != nil {
		opts = append(opts, fakeserver.WithUpstream(*o.upstream))
	}
	if o.recordDir != "" {
		opts = append(opts, fakeserver.WithSessionRecordings(o.recordDir))
	}
	for _, u := range o.users {
		opts = append(opts, fakeserver.WithUser(u.name, u.secret))
	}
	for _, t := range o.tokens {
		opts = append(opts, fakeserver.WithToken(t.name, t.secret))
	}
	return opts
}

func serve(ctx context.Context, o *options, stdout, stderr io.Writer) error {
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	if o.replay.rec != nil {
		return serveReplay(ctx, o, logger, stdout, stderr)
	}
	srv, err := fakeserver.Start(serverOptions(o, logger)...)
	if err != nil {
		// The option's name means nothing on the command line.
		if rest, ok := strings.CutPrefix(err.Error(), "WithRestrictedMailbox: "); ok {
			err = fmt.Errorf("--restricted-mailbox: %s", rest)
		}
		if o.upstream != nil {
			err = upstreamError(err)
		}
		return usageError{err}
	}
	defer srv.Close()
	// Every address is taken before anything is logged, so that a bad
	// one is the only line on stderr.
	var controlLn net.Listener
	if o.control != "" {
		if controlLn, err = fakeserver.ListenLoopback(o.control); err != nil {
			return usageError{fmt.Errorf("--control: %v", err)}
		}
		defer controlLn.Close()
	}
	if o.secretsOnCmdLine {
		logger.Warn("--user/--token put secrets on the command line, where ps shows them; prefer FAKEIMAPD_USERS, FAKEIMAPD_TOKENS or --users-file/--tokens-file")
	}

	if o.caOut != "" {
		if err := writeFileFresh(o.caOut, srv.CACertPEM(), 0o644); err != nil {
			return fmt.Errorf("--ca-out: %v", err)
		}
	}
	if o.credentialsOut != "" {
		var b strings.Builder
		for _, u := range srv.Users() {
			fmt.Fprintf(&b, "%s:%s\n", u.Name, u.Password)
		}
		if err := writeFileFresh(o.credentialsOut, []byte(b.String()), 0o600); err != nil {
			return fmt.Errorf("--credentials-out: %v", err)
		}
	} else if len(o.users) == 0 && o.scenario == nil && o.upstream == nil && !seedNamesUsers(o.seeds) {
		logger.Warn("no --user given: " + fakeserver.DefaultUser + " has a random password; pass --credentials-out FILE to read it")
	}

	var control *http.Server
	controlDone := make(chan error, 1)
	if controlLn != nil {
		var copts []fakeserver.ControlOption
		if o.controlToken != "" {
			copts = append(copts, fakeserver.WithControlToken(o.controlToken))
		}
		control = &http.Server{Handler: srv.ControlHandler(copts...), ReadHeaderTimeout: 5 * time.Second}
		go func() { controlDone <- control.Serve(controlLn) }()
		o.control = controlLn.Addr().String()
	}

	r := ready{Addr: srv.Addr(), TLSAddr: srv.TLSAddr(), URL: srv.URL(), Control: o.control, Faults: srv.Faults().Specs()}
	if o.scenario != nil {
		var cleanup func()
		r.ProbeCommand, r.ProbeSideOnly, cleanup, err = scenarioProbe(o.scenario, srv, stderr)
		defer cleanup()
		if err != nil {
			return err
		}
	}
	if r.Faults == nil {
		r.Faults = []string{}
	}
	if o.upstream != nil {
		r.Upstream = o.upstream.URL // its users are the upstream's
		r.Login = proxyLogin
		r.Record = o.recordDir
		r.Users = []string{}
	} else {
		for _, u := range srv.Users() {
			r.Users = append(r.Users, u.Name)
		}
	}
	line, _ := json.Marshal(r)
	fmt.Fprintf(stdout, "%s\n", line)
	if o.upstream != nil {
		logger.Info("fakeimapd proxying: log in to "+r.URL+" as "+proxyLogin, "upstream", r.Upstream, "record", r.Record)
	}
	logger.Info("fakeimapd ready", "persona", srv.Persona().String(), "addr", r.Addr, "tls_addr", r.TLSAddr, "url", r.URL, "control", r.Control,
		"faults", strings.Join(r.Faults, "; "))

	select {
	case <-ctx.Done():
		logger.Info("shutting down")
	case err := <-controlDone:
		return fmt.Errorf("control API: %v", err)
	}
	if control != nil {
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = control.Shutdown(shutdownCtx)
	}
	return srv.Close()
}

// seedNamesUsers reports whether a seed names its users, who then have
// the seed's passwords, not DefaultUser's random one.
func seedNamesUsers(seeds []*fakeserver.Seed) bool {
	for _, sd := range seeds {
		for _, u := range sd.Users {
			if u.Name != "" {
				return true
			}
		}
	}
	return false
}
