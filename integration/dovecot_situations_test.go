package integration

import (
	"context"
	"crypto/x509"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/integration/realservers"
	"github.com/imapprobe/imapprobe/prober"
)

// server is what a situation runs against: a Dovecot instance or the fake
// server set up the same way.
type server interface {
	host() string
	plainPort() int
	tlsPort() int
	pool() *x509.CertPool
	stop(t *testing.T)
	// kill ends the server abruptly once user's login is being held.
	killWhenHeld(t *testing.T, user string)
}

// startServer starts a server set up for sit (its certificate, and for the
// fake its faults); it stops when t ends.
type startServer func(t *testing.T, sit situation) server

// situation is one row of the table: how to probe, and the one
// failure (step and code) the prober must report; empty means success.
type situation struct {
	name      string
	cert      realservers.CertKind
	tls       prober.TLSMode
	onTLSPort bool // dial the implicit-TLS port instead of the plain one
	user      string
	password  string
	token     string
	auth      string
	mailbox   string
	source    string
	// allowPlain lets the prober send credentials in clear, so the server's
	// own refusal is what it meets.
	allowPlain  bool
	stepTimeout time.Duration
	// own: the situation needs a server of its own, which it stops first
	// (stopFirst) or kills mid-session (killHeld).
	own, stopFirst, killHeld bool
	step                     string
	code                     prober.Code
}

const wrongSecret = "not-the-secret-0"

func situations() []situation {
	pw := realservers.DefaultPassword
	tok := realservers.DefaultToken
	return []situation{
		{name: "healthy/starttls", tls: prober.TLSStartTLS, password: pw},
		{name: "healthy/implicit", tls: prober.TLSImplicit, onTLSPort: true, password: pw},
		{name: "wrong-password", tls: prober.TLSImplicit, onTLSPort: true, password: wrongSecret, step: "auth", code: "auth.failed"},
		{name: "unknown-mailbox", tls: prober.TLSImplicit, onTLSPort: true, password: pw, mailbox: "Nonexistent", step: "select", code: "mailbox.not_found"},
		{name: "acl-denied-mailbox", tls: prober.TLSImplicit, onTLSPort: true, password: pw, mailbox: realservers.DeniedMailbox, step: "select", code: "mailbox.no_permission"},
		{name: "plaintext-auth-refused", tls: prober.TLSNone, password: pw, auth: "login", source: "127.0.0.2", allowPlain: true, step: "auth", code: "auth.login_disabled"},
		{name: "cert/self-signed", cert: realservers.CertSelfSigned, tls: prober.TLSImplicit, onTLSPort: true, password: pw, step: "tls", code: "tls.cert_self_signed"},
		{name: "cert/expired", cert: realservers.CertExpired, tls: prober.TLSImplicit, onTLSPort: true, password: pw, step: "tls", code: "tls.cert_expired"},
		{name: "cert/wrong-host", cert: realservers.CertWrongHost, tls: prober.TLSImplicit, onTLSPort: true, password: pw, step: "tls", code: "tls.cert_hostname_mismatch"},
		{name: "cert/self-signed/starttls", cert: realservers.CertSelfSigned, tls: prober.TLSStartTLS, password: pw, step: "starttls", code: "tls.cert_self_signed"},
		{name: "cert/expired/starttls", cert: realservers.CertExpired, tls: prober.TLSStartTLS, password: pw, step: "starttls", code: "tls.cert_expired"},
		{name: "cert/wrong-host/starttls", cert: realservers.CertWrongHost, tls: prober.TLSStartTLS, password: pw, step: "starttls", code: "tls.cert_hostname_mismatch"},
		{name: "tls-client-on-plain-port", tls: prober.TLSImplicit, password: pw, step: "tls", code: "tls.not_tls"},
		{name: "plain-client-on-tls-port", tls: prober.TLSNone, onTLSPort: true, password: pw, stepTimeout: 1500 * time.Millisecond, step: "greeting", code: "greeting.timeout"},
		{name: "server-stopped", own: true, stopFirst: true, tls: prober.TLSImplicit, onTLSPort: true, password: pw, step: "connect", code: "tcp.refused"},
		{name: "server-killed-mid-session", own: true, killHeld: true, tls: prober.TLSImplicit, onTLSPort: true, user: realservers.HeldUser, password: heldPassword(), step: "auth", code: "auth.dropped"},
		{name: "xoauth2/good-token", tls: prober.TLSImplicit, onTLSPort: true, auth: "xoauth2", token: tok},
		{name: "oauthbearer/good-token", tls: prober.TLSImplicit, onTLSPort: true, auth: "oauthbearer", token: tok},
		{name: "xoauth2/bad-token", tls: prober.TLSImplicit, onTLSPort: true, auth: "xoauth2", token: wrongSecret, step: "auth", code: "auth.token_rejected"},
		{name: "oauthbearer/bad-token", tls: prober.TLSImplicit, onTLSPort: true, auth: "oauthbearer", token: wrongSecret, step: "auth", code: "auth.token_rejected"},
	}
}

// probe runs sit against s and returns the report. It may run in a
// goroutine of its own, so it only reports errors (never t.Fatal).
func (sit situation) probe(t *testing.T, s server) *prober.Report {
	target := prober.Target{Host: s.host(), Port: s.plainPort(), TLS: sit.tls, User: sit.user, Mailbox: sit.mailbox}
	if sit.onTLSPort {
		target.Port = s.tlsPort()
	}
	if target.User == "" {
		target.User = realservers.DefaultUser
	}
	opts := prober.Options{
		Auth: sit.auth, Password: sit.password, Token: sit.token,
		RootCAs: s.pool(), SourceAddr: sit.source, AllowPlaintextAuth: sit.allowPlain,
		// Dovecot delays each failed login by 2 s and penalises the address
		// with growing delays, so the auth step needs room.
		StepTimeout: 30 * time.Second, Timeout: 2 * time.Minute,
		Slow: time.Hour, // a loaded CI machine must not add S.slow warnings
	}
	if sit.stepTimeout > 0 {
		opts.StepTimeout = sit.stepTimeout
	}
	if sit.stopFirst {
		s.stop(t)
	}
	var wg sync.WaitGroup
	if sit.killHeld {
		wg.Go(func() { s.killWhenHeld(t, target.User) })
	}
	rep := prober.Probe(context.Background(), target, opts)
	wg.Wait()
	return rep
}

// check asserts the exact failure and that it is the only code.
func (sit situation) check(t *testing.T, rep *prober.Report) {
	t.Helper()
	step, code := rep.Failure()
	var want []prober.Code
	if sit.code != "" {
		want = []prober.Code{sit.code}
	}
	if step != sit.step || code != sit.code || !slices.Equal(rep.Codes(), want) {
		t.Errorf("%s: failure = (%q, %q), codes %q; want (%q, %q), codes %q", sit.name, step, code, rep.Codes(), sit.step, sit.code, want)
		for _, s := range rep.Steps {
			if s.Diagnosis != nil {
				t.Logf("  step %s: %s: %s", s.Name, s.Diagnosis.Code, s.Diagnosis.Detail)
			}
		}
	}
}

// runSituations runs every situation against servers from start and
// returns each situation's outcome (its failure code, or "ok"). The probes
// run at once, in goroutines rather than parallel subtests, whose number
// -parallel caps at the cores; they mostly wait on the server. With share,
// situations that leave the server running share one per certificate.
func runSituations(t *testing.T, start startServer, share bool) map[string]string {
	return runThese(t, situations(), start, share)
}

// runThese is runSituations for the situations sits.
func runThese(t *testing.T, sits []situation, start startServer, share bool) map[string]string {
	servers := make([]server, len(sits))
	shared := map[realservers.CertKind]server{}
	for i, sit := range sits {
		if s, ok := shared[sit.cert]; ok && share && !sit.own {
			servers[i] = s
			continue
		}
		servers[i] = start(t, sit)
		if share && !sit.own {
			shared[sit.cert] = servers[i]
		}
	}
	reports := make([]*prober.Report, len(sits))
	var wg sync.WaitGroup
	for i, sit := range sits {
		wg.Go(func() { reports[i] = sit.probe(t, servers[i]) })
	}
	wg.Wait()
	outcomes := map[string]string{}
	for i, sit := range sits {
		t.Run(sit.name, func(t *testing.T) { sit.check(t, reports[i]) })
		_, code := reports[i].Failure()
		if code == "" {
			code = "ok"
		}
		outcomes[sit.name] = string(code)
	}
	return outcomes
}

// TestDovecotSituations runs the situations against Dovecot, as a
// process and in a container, against Cyrus (cyrus_test.go), and against
// the fake server set up the same way in each persona, asserting the
// prober's exact codes on each; then it prints the fidelity table and
// asserts that every column agrees where its server can produce the
// situation.
func TestDovecotSituations(t *testing.T) {
	t.Parallel()
	const fake, persona = "fake", "fake (dovecot persona)"
	var mu sync.Mutex
	outcomes := map[string]map[string]string{}
	record := func(column string, o map[string]string) {
		mu.Lock()
		defer mu.Unlock()
		outcomes[column] = o
	}
	// The group returns once its parallel subtests are done.
	t.Run("servers", func(t *testing.T) {
		eachLauncher(t, func(t *testing.T, l realservers.Launcher) {
			t.Parallel()
			record(l.Name(), runSituations(t, dovecotStarter(l), true))
		})
		t.Run("fake", func(t *testing.T) {
			t.Parallel()
			record(fake, runSituations(t, fakeStarter(fakeserver.PersonaGoImap), false))
		})
		t.Run("fake-dovecot-persona", func(t *testing.T) {
			t.Parallel()
			record(persona, runSituations(t, fakeStarter(fakeserver.PersonaDovecot), false))
		})
		t.Run("cyrus", func(t *testing.T) {
			t.Parallel()
			record(cyrusColumn, runCyrusSituations(t))
		})
		t.Run("fake-cyrus-persona", func(t *testing.T) {
			t.Parallel()
			record(cyrusPersonaColumn, runThese(t, cyrusSituations(), fakeStarter(fakeserver.PersonaCyrus), false))
		})
		t.Run("proxy", func(t *testing.T) {
			t.Parallel()
			l, err := processLauncher()
			realservers.Need(t, err)
			record(proxyColumn, runSituations(t, proxyStarter(l), false))
		})
	})
	fidelityTable(t, []string{"process", "container", cyrusColumn}, []string{fake, persona, cyrusPersonaColumn, proxyColumn}, outcomes, cyrusNA())
}

func dovecotStarter(l realservers.Launcher) startServer {
	return func(t *testing.T, sit situation) server {
		return dovecotServer{startDovecot(t, l, realservers.Config{Cert: sit.cert})}
	}
}

type dovecotServer struct{ *realservers.Instance }

func (d dovecotServer) host() string         { return d.Host }
func (d dovecotServer) plainPort() int       { return d.Port }
func (d dovecotServer) tlsPort() int         { return d.TLSPort }
func (d dovecotServer) pool() *x509.CertPool { return d.CAPool }

func (d dovecotServer) stop(t *testing.T) {
	if err := d.Stop(); err != nil {
		t.Errorf("stop Dovecot: %v", err)
	}
}

func (d dovecotServer) killWhenHeld(t *testing.T, user string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := d.WaitLog(ctx, realservers.HoldMarker+user); err != nil {
		t.Errorf("session not held: %v", err)
	}
	if err := d.Kill(); err != nil {
		t.Errorf("kill Dovecot: %v", err)
	}
}
