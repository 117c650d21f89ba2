package integration

import (
	"context"
	"crypto/x509"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/faults"
	"github.com/imapprobe/imapprobe/integration/realservers"
	"github.com/imapprobe/imapprobe/prober"
)

// The proxy column: every situation through fakeimapd's proxy mode in front
// of a real Dovecot, and the matrix's faults applied by the proxy to
// Dovecot's sessions, each diagnosed as the fake alone diagnoses it.

// proxyColumn is the proxy's column in the fidelity table.
const proxyColumn = "proxy + Dovecot"

// proxyStarter puts a proxy, set up as startFake sets up the fake (its
// ports, its certificate faults, the hold of the session killed mid-login),
// in front of a Dovecot from l: one shared, or for a situation that stops
// or kills its server, one of its own.
func proxyStarter(l realservers.Launcher) startServer {
	var (
		once   sync.Once
		shared *realservers.Instance
	)
	return func(t *testing.T, sit situation) server {
		var inst *realservers.Instance
		if sit.own {
			inst = startDovecot(t, l, realservers.Config{})
		} else {
			once.Do(func() { shared = startDovecot(t, l, realservers.Config{}) })
			inst = shared
		}
		if inst == nil {
			t.Fatal("no Dovecot for the proxy")
		}
		opts := []fakeserver.Option{
			fakeserver.WithMode(fakeserver.ModeStartTLS),
			fakeserver.WithBothPorts(),
			fakeserver.WithUpstream(fakeserver.Upstream{URL: "imaps://" + hostPort(inst.Host, inst.TLSPort), RootCAs: inst.CAPool}),
		}
		if specs := certSpecs(sit.cert); len(specs) > 0 {
			set, err := faults.ParseAll(specs)
			if err != nil {
				t.Fatal(err)
			}
			opts = append(opts, fakeserver.WithFaults(set...))
		}
		return proxyServer{fakeServer{fakeserver.New(t, opts...)}, dovecotServer{inst}}
	}
}

// proxyServer is a proxy and the Dovecot behind it: killed mid-session,
// it is Dovecot that dies (the proxy passes the close on); stopped, the
// proxy stops.
type proxyServer struct {
	fakeServer
	upstream dovecotServer
}

func (p proxyServer) pool() *x509.CertPool { return p.fakeServer.pool() }

func (p proxyServer) killWhenHeld(t *testing.T, user string) { p.upstream.killWhenHeld(t, user) }

// TestProxyFaultsMatchFake applies one fault per step through the proxy to
// a real Dovecot's sessions, and asserts the prober's failure is the one
// the fake alone gives for the same fault.
func TestProxyFaultsMatchFake(t *testing.T) {
	t.Parallel()
	l, err := processLauncher()
	realservers.Need(t, err)
	inst := startDovecot(t, l, realservers.Config{})
	cases := []struct {
		spec string // specs, separated by " + "
		tls  prober.TLSMode
		step string
		code prober.Code
	}{
		{"greeting:bye", prober.TLSImplicit, "greeting", "greeting.bye"},
		{"caps:-STARTTLS", prober.TLSStartTLS, "starttls", "starttls.unavailable"},
		{"starttls:stall", prober.TLSStartTLS, "starttls", "tls.timeout"},
		{"reply:AUTHENTICATE=NO [AUTHENTICATIONFAILED] Authentication failed.", prober.TLSImplicit, "auth", "auth.failed"},
		{"reply:LIST=NO [SERVERBUG] list broken", prober.TLSImplicit, "list", "list.failed"},
		{"reply:EXAMINE=NO [NOPERM] Permission denied", prober.TLSImplicit, "select", "mailbox.no_permission"},
		{"drop:FETCH+20", prober.TLSImplicit, "fetch", "fetch.dropped"},
	}
	for _, tc := range cases {
		t.Run(tc.spec, func(t *testing.T) {
			t.Parallel()
			var f []faults.Fault
			for _, spec := range strings.Split(tc.spec, " + ") {
				f = append(f, faults.MustParse(spec))
			}
			fake := fakeserver.New(t, fakeserver.WithMode(fakeserver.ModeStartTLS), fakeserver.WithBothPorts(),
				fakeserver.WithUser(realservers.DefaultUser, realservers.DefaultPassword), fakeserver.WithFaults(f...))
			proxy := fakeserver.New(t, fakeserver.WithMode(fakeserver.ModeStartTLS), fakeserver.WithBothPorts(), fakeserver.WithFaults(f...),
				fakeserver.WithUpstream(fakeserver.Upstream{URL: "imaps://" + hostPort(inst.Host, inst.TLSPort), RootCAs: inst.CAPool}))
			got := map[string][2]string{}
			for name, srv := range map[string]*fakeserver.Server{"fake": fake, "proxy": proxy} {
				rep := probeFaulted(srv, tc.tls)
				step, code := rep.Failure()
				got[name] = [2]string{step, string(code)}
			}
			want := [2]string{tc.step, string(tc.code)}
			if got["fake"] != want || got["proxy"] != want {
				t.Errorf("%s: fake %v, proxy + Dovecot %v; want %v for both", tc.spec, got["fake"], got["proxy"], want)
			}
		})
	}
}

// probeFaulted probes the test account through srv with short step
// timeouts (a stalled STARTTLS must time out quickly).
func probeFaulted(srv *fakeserver.Server, mode prober.TLSMode) *prober.Report {
	target := prober.Target{Host: "127.0.0.1", Port: portOf(srv.TLSAddr()), TLS: mode, User: realservers.DefaultUser}
	if mode != prober.TLSImplicit {
		target.Port = portOf(srv.PlainAddr())
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return prober.Probe(ctx, target, prober.Options{
		Password: realservers.DefaultPassword, RootCAs: srv.CAPool(),
		StepTimeout: 2 * time.Second, Timeout: 30 * time.Second, Slow: time.Hour,
	})
}
