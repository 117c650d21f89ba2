package prober

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"github.com/imapprobe/imapprobe/internal/closedport"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/imapprobe/imapprobe/internal/certs"
	pt "github.com/imapprobe/imapprobe/prober/probertest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const testPass = "correct horse"

func baseOptions(t *testing.T) Options {
	return Options{Password: testPass, RootCAs: pt.PKI(t).CA.Pool(), StepTimeout: 2 * time.Second, Timeout: 20 * time.Second}
}

func tlsConfig(t *testing.T, cert tls.Certificate) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{cert}}
}

func goodTLS(t *testing.T) *tls.Config { return tlsConfig(t, pt.PKI(t).Good) }

// assertFailure checks the failing step and code, that every later step is
// skipped, and that no earlier step failed.
func assertFailure(t *testing.T, r *Report, step string, code Code) {
	t.Helper()
	gotStep, gotCode := r.Failure()
	if gotStep != step || gotCode != code {
		t.Fatalf("failure = %s/%s, want %s/%s\n%s", gotStep, gotCode, step, code, dump(r))
	}
	after := false
	for _, s := range r.Steps {
		if after && s.Status != StatusSkipped {
			t.Errorf("step %s after the failure has status %s, want skipped", s.Name, s.Status)
		}
		if s.Name == step {
			after = true
		}
	}
	if len(r.Steps) != len(Steps) {
		t.Errorf("report has %d steps, want %d", len(r.Steps), len(Steps))
	}
	if r.ExitCode(false) != catalog()[code].ExitCode {
		t.Errorf("exit code %d, want %d", r.ExitCode(false), catalog()[code].ExitCode)
	}
}

func assertOK(t *testing.T, r *Report, wantWarnings ...Code) {
	t.Helper()
	if step, code := r.Failure(); code != "" {
		t.Fatalf("unexpected failure %s/%s\n%s", step, code, dump(r))
	}
	var warns []Code
	for _, s := range r.Steps {
		for _, w := range s.Warnings {
			warns = append(warns, w.Code)
		}
	}
	if !slices.Equal(warns, wantWarnings) {
		t.Fatalf("warnings = %v, want %v\n%s", warns, wantWarnings, dump(r))
	}
}

func dump(r *Report) string {
	var b strings.Builder
	for _, s := range r.Steps {
		fmt.Fprintf(&b, "%-10s %-7s %s", s.Name, s.Status, s.Note)
		if s.Diagnosis != nil {
			fmt.Fprintf(&b, " %s: %s", s.Diagnosis.Code, s.Diagnosis.Detail)
		}
		b.WriteString("\n")
		for _, l := range s.Transcript {
			b.WriteString("    " + l.String() + "\n")
		}
	}
	return b.String()
}

func TestHappyPaths(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		srv  *pt.Server
		mode TLSMode
		mod  func(*Options)
	}{
		{"implicit PLAIN", &pt.Server{Pass: testPass, Implicit: goodTLS(t)}, TLSImplicit, nil},
		{"starttls LOGIN", &pt.Server{Pass: testPass, Caps: "IMAP4rev1", StartTLS: goodTLS(t)}, TLSStartTLS, nil},
		{"plaintext allowed", &pt.Server{Pass: testPass}, TLSNone, func(o *Options) { o.AllowPlaintextAuth = true }},
		{"login with literal password", &pt.Server{Pass: "pä\"ss\\word", Implicit: goodTLS(t)}, TLSImplicit, func(o *Options) { o.Auth = "login"; o.Password = "pä\"ss\\word" }},
		{"xoauth2", &pt.Server{Token: "tok123", Caps: "IMAP4rev1 AUTH=XOAUTH2 SASL-IR", Implicit: goodTLS(t)}, TLSImplicit, func(o *Options) { o.Token = "tok123"; o.Password = "" }},
		{"oauthbearer no SASL-IR", &pt.Server{Token: "tok123", Caps: "IMAP4rev1 AUTH=OAUTHBEARER", Implicit: goodTLS(t)}, TLSImplicit, func(o *Options) { o.Token = "tok123"; o.Password = "" }},
		{"empty mailbox", &pt.Server{Pass: testPass, Implicit: goodTLS(t), Handlers: map[string]pt.Handler{
			"EXAMINE": func(c *pt.Conv, tag, _ string) bool {
				c.Send("* 0 EXISTS", "* OK [UIDVALIDITY 1] x", tag+" OK [READ-ONLY] done")
				return true
			}}}, TLSImplicit, nil},
		{"preauth", &pt.Server{Greeting: "* PREAUTH welcome", Implicit: goodTLS(t)}, TLSImplicit, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := tc.srv.Start(t)
			o := baseOptions(t)
			if tc.mod != nil {
				tc.mod(&o)
			}
			r := Probe(context.Background(), target(srv, tc.mode), o)
			assertOK(t, r)
			if got := r.Step(StepLogout).Status; got != StatusOK {
				t.Errorf("logout status %s", got)
			}
		})
	}
}

func TestHappyPathEvidence(t *testing.T) {
	t.Parallel()
	srv := (&pt.Server{Pass: testPass, Implicit: goodTLS(t)}).Start(t)
	r := Probe(context.Background(), target(srv, TLSImplicit), baseOptions(t))
	assertOK(t, r)
	td := r.Step(StepTLS).Details.(*TLSDetails)
	if !td.Verified || td.Version != "TLS 1.3" || len(td.Chain) != 1 {
		t.Errorf("tls details %+v", td)
	}
	if ad := r.Step(StepAuth).Details.(*AuthDetails); ad.Mechanism != "PLAIN" || !slices.Contains(ad.CapabilitiesAfter, "IDLE") {
		t.Errorf("auth details %+v", ad)
	}
	ld := r.Step(StepList).Details.(*ListDetails)
	if ld.Count != 3 || ld.Delimiter != "/" || ld.SpecialUse[`\Sent`] != "Sent" {
		t.Errorf("list details %+v", ld)
	}
	sd := r.Step(StepSelect).Details.(*SelectDetails)
	if sd.Command != "EXAMINE" || sd.Exists != 1 || sd.UIDValidity != 1700000000 || !sd.ReadOnly {
		t.Errorf("select details %+v", sd)
	}
	fd := r.Step(StepFetch).Details.(*FetchDetails)
	if fd.BodyBytes != int64(len(srv.MessageText())) || fd.Size != fd.BodyBytes || fd.Subject != "hello" || fd.UID != 7 {
		t.Errorf("fetch details %+v", fd)
	}
	if want := []string{"CAPABILITY", "AUTHENTICATE", "LIST", "EXAMINE", "FETCH", "LOGOUT"}; !slices.Equal(srv.Commands(), want) {
		t.Errorf("server saw %v, want %v", srv.Commands(), want)
	}
	// the transcript holds the greeting as S: and no synthetic greeting
	var all []string
	for _, s := range r.Steps {
		for _, l := range s.Transcript {
			all = append(all, string(l.Dir)+": "+l.Text)
		}
	}
	joined := strings.Join(all, "\n")
	for _, want := range []string{"S: * OK ready", "C: P1 CAPABILITY", "C: P2 AUTHENTICATE PLAIN [redacted]", "*: TLS handshake: TLS 1.3"} {
		if !strings.Contains(joined, want) {
			t.Errorf("transcript lacks %q:\n%s", want, joined)
		}
	}
	if strings.Contains(joined, "greeting already read") {
		t.Errorf("synthetic greeting leaked into the transcript")
	}
	if _, err := json.Marshal(r); err != nil {
		t.Fatal(err)
	}
}

func TestNetworkFailures(t *testing.T) {
	t.Parallel()
	t.Run("tcp.refused", func(t *testing.T) {
		t.Parallel()
		addr, err := closedport.Addr()
		if err != nil {
			t.Fatal(err)
		}
		_, portStr, _ := net.SplitHostPort(addr)
		port, _ := strconv.Atoi(portStr)
		r := Probe(context.Background(), Target{Host: "127.0.0.1", Port: port, TLS: TLSImplicit}, baseOptions(t))
		assertFailure(t, r, StepConnect, "tcp.refused")
	})
	t.Run("dns.not_found", func(t *testing.T) {
		t.Parallel()
		r := Probe(context.Background(), Target{Host: "no-such-host.invalid", Port: 993, TLS: TLSImplicit}, baseOptions(t))
		assertFailure(t, r, StepResolve, "dns.not_found")
	})
	t.Run("dns.failure", func(t *testing.T) {
		t.Parallel()
		o := baseOptions(t)
		o.LookupHost = func(context.Context, string) ([]string, error) {
			return nil, &net.DNSError{Err: "server misbehaving", Name: "x"}
		}
		r := Probe(context.Background(), Target{Host: "mail.example.com", Port: 993, TLS: TLSImplicit}, o)
		assertFailure(t, r, StepResolve, "dns.failure")
	})
	t.Run("tcp.timeout", func(t *testing.T) {
		t.Parallel()
		o := baseOptions(t)
		o.StepTimeout = 300 * time.Millisecond
		o.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}
		began := time.Now()
		r := Probe(context.Background(), Target{Host: "127.0.0.1", Port: 993, TLS: TLSImplicit}, o)
		assertFailure(t, r, StepConnect, "tcp.timeout")
		if d := time.Since(began); d > time.Second {
			t.Errorf("took %s", d)
		}
	})
	t.Run("a black-holed first address leaves time for the next", func(t *testing.T) {
		t.Parallel()
		srv := (&pt.Server{Pass: testPass, Implicit: goodTLS(t)}).Start(t)
		o := baseOptions(t)
		o.StepTimeout = 2 * time.Second
		o.LookupHost = func(context.Context, string) ([]string, error) { return []string{"2001:db8::1", "127.0.0.1"}, nil }
		var d net.Dialer
		o.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			if strings.HasPrefix(addr, "[2001:db8::1]") {
				<-ctx.Done() // a route that drops SYNs
				return nil, ctx.Err()
			}
			return d.DialContext(ctx, network, addr)
		}
		tg := target(srv, TLSImplicit)
		tg.Host = "localhost"
		r := Probe(context.Background(), tg, o)
		assertOK(t, r)
		cd := r.Step(StepConnect).Details.(*ConnectDetails)
		if len(cd.Attempts) != 2 || cd.Attempts[0].Error == "" || cd.Address != fmt.Sprintf("127.0.0.1:%d", srv.Port()) {
			t.Errorf("connect details %+v", cd)
		}
	})
	t.Run("connect-addr records the address used", func(t *testing.T) {
		t.Parallel()
		srv := (&pt.Server{Pass: testPass, Implicit: goodTLS(t)}).Start(t)
		tg := target(srv, TLSImplicit)
		tg.Host, tg.ConnectAddr = "localhost", "127.0.0.1"
		r := Probe(context.Background(), tg, baseOptions(t))
		assertOK(t, r)
		rd := r.Step(StepResolve).Details.(*ResolveDetails)
		if rd.Source != "connect-addr" || len(rd.Addresses) != 1 {
			t.Errorf("resolve details %+v", rd)
		}
	})
}

func TestTLSFailures(t *testing.T) {
	t.Parallel()
	p := pt.PKI(t)
	issue := func(l certs.Leaf) tls.Certificate {
		c, err := p.CA.Issue(l)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	self, err := certs.SelfSigned(certs.Leaf{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	cases := []struct {
		code Code
		cert tls.Certificate
		host string
	}{
		{"tls.cert_expired", issue(certs.Leaf{NotBefore: now.AddDate(-1, 0, 0), NotAfter: now.AddDate(0, 0, -2)}), ""},
		{"tls.cert_not_yet_valid", issue(certs.Leaf{NotBefore: now.AddDate(0, 0, 2), NotAfter: now.AddDate(1, 0, 0)}), ""},
		{"tls.cert_hostname_mismatch", issue(certs.Leaf{Hosts: []string{"mail.example.com"}}), ""},
		{"tls.cert_self_signed", self, ""},
		{"tls.cert_untrusted", issue(certs.Leaf{OmitIntermediate: true}), ""},
	}
	for _, tc := range cases {
		t.Run(string(tc.code), func(t *testing.T) {
			t.Parallel()
			srv := (&pt.Server{Pass: testPass, Implicit: tlsConfig(t, tc.cert)}).Start(t)
			r := Probe(context.Background(), target(srv, TLSImplicit), baseOptions(t))
			assertFailure(t, r, StepTLS, tc.code)
			// with --insecure-skip-verify the same problem is a warning
			o := baseOptions(t)
			o.InsecureSkipVerify = true
			r = Probe(context.Background(), target(srv, TLSImplicit), o)
			assertOK(t, r, tc.code)
			// and STARTTLS runs the same checks
			srv2 := (&pt.Server{Pass: testPass, StartTLS: tlsConfig(t, tc.cert)}).Start(t)
			r = Probe(context.Background(), target(srv2, TLSStartTLS), baseOptions(t))
			assertFailure(t, r, StepStartTLS, tc.code)
		})
	}
	t.Run("tls.cert_expiring", func(t *testing.T) {
		t.Parallel()
		srv := (&pt.Server{Pass: testPass, Implicit: tlsConfig(t, issue(certs.Leaf{NotAfter: now.AddDate(0, 0, 3)}))}).Start(t)
		r := Probe(context.Background(), target(srv, TLSImplicit), baseOptions(t))
		assertOK(t, r, "tls.cert_expiring")
		if r.ExitCode(true) != ExitWarnings || r.ExitCode(false) != ExitOK {
			t.Errorf("exit codes %d/%d", r.ExitCode(true), r.ExitCode(false))
		}
	})
	t.Run("tls.not_tls", func(t *testing.T) {
		t.Parallel()
		srv := (&pt.Server{Pass: testPass, Greeting: "* OK Dovecot ready."}).Start(t)
		r := Probe(context.Background(), target(srv, TLSImplicit), baseOptions(t))
		assertFailure(t, r, StepTLS, "tls.not_tls")
		if d := r.Step(StepTLS).Diagnosis.Detail; !strings.Contains(d, "* OK Dovecot ready.") {
			t.Errorf("detail does not quote the plaintext: %s", d)
		}
	})
	t.Run("tls.handshake_failed", func(t *testing.T) {
		t.Parallel()
		srv := (&pt.Server{Raw: func(c net.Conn) {
			buf := make([]byte, 4096)
			_, _ = c.Read(buf)
			_, _ = c.Write([]byte{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28}) // fatal handshake_failure
		}}).Start(t)
		r := Probe(context.Background(), target(srv, TLSImplicit), baseOptions(t))
		assertFailure(t, r, StepTLS, "tls.handshake_failed")
	})
	t.Run("tls.handshake_failed without an alert", func(t *testing.T) {
		t.Parallel()
		srv := (&pt.Server{Raw: func(c net.Conn) {
			_, _ = c.Read(make([]byte, 4096)) // read the ClientHello, then close: no alert
		}}).Start(t)
		r := Probe(context.Background(), target(srv, TLSImplicit), baseOptions(t))
		assertFailure(t, r, StepTLS, "tls.handshake_failed")
		if d := r.Step(StepTLS).Diagnosis.Detail; !strings.Contains(d, "closed the connection during the TLS handshake without a TLS alert") {
			t.Errorf("detail %q does not explain the bare EOF", d)
		}
	})
	t.Run("tls.timeout", func(t *testing.T) {
		t.Parallel()
		srv := (&pt.Server{Raw: pt.Silent}).Start(t)
		o := baseOptions(t)
		o.StepTimeout = 300 * time.Millisecond
		r := Probe(context.Background(), target(srv, TLSImplicit), o)
		assertFailure(t, r, StepTLS, "tls.timeout")
	})
}

// target addresses a scripted server.
func target(s *pt.Server, mode TLSMode) Target {
	return Target{Host: "127.0.0.1", Port: s.Port(), TLS: mode, User: s.UserName(), Mailbox: "INBOX"}
}

// TestDeadlineWording: a timeout caused by --total-timeout names it (not
// the untouched --timeout), and a sub-millisecond slow step is not "0s".
func TestDeadlineWording(t *testing.T) {
	t.Parallel()
	t.Run("total timeout", func(t *testing.T) {
		t.Parallel()
		srv := (&pt.Server{Raw: pt.Silent}).Start(t)
		o := baseOptions(t)
		o.StepTimeout, o.Timeout = 10*time.Second, 300*time.Millisecond
		r := Probe(context.Background(), target(srv, TLSNone), o)
		assertFailure(t, r, StepGreeting, "greeting.timeout")
		d := r.Step(StepGreeting).Diagnosis
		if !strings.Contains(d.Detail, "--total-timeout of 300ms") || strings.Contains(d.Detail, "10s") || !strings.Contains(d.Hint, "raise --total-timeout") {
			t.Errorf("detail %q, hint %q", d.Detail, d.Hint)
		}
	})
	t.Run("slow under a millisecond", func(t *testing.T) {
		t.Parallel()
		srv := (&pt.Server{Pass: testPass, Implicit: goodTLS(t)}).Start(t)
		o := baseOptions(t)
		o.Slow = time.Nanosecond
		r := Probe(context.Background(), target(srv, TLSImplicit), o)
		for _, s := range r.Steps {
			for _, w := range s.Warnings {
				if strings.HasPrefix(w.Detail, "took 0s") {
					t.Errorf("%s: %q", s.Name, w.Detail)
				}
			}
		}
	})
}
