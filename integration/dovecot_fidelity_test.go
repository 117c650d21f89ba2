package integration

import (
	"context"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/faults"
	"github.com/imapprobe/imapprobe/integration/realservers"
)

// fakeStarter starts the fake server set up as Dovecot is: the same users,
// password and token, the NOPERM mailbox, STARTTLS on the plain port and implicit TLS on the
// other, the bad certificate as a cert fault, and, for the session killed
// mid-login, a delay standing in for Dovecot's post-login hold.
func fakeStarter(persona fakeserver.Persona) startServer {
	return func(t *testing.T, sit situation) server { return startFake(t, sit, persona) }
}

// startFake starts the fake for sit; extra options come last.
func startFake(t *testing.T, sit situation, persona fakeserver.Persona, extra ...fakeserver.Option) server {
	opts := []fakeserver.Option{
		fakeserver.WithPersona(persona),
		fakeserver.WithMode(fakeserver.ModeStartTLS),
		fakeserver.WithBothPorts(),
		fakeserver.WithUser(realservers.DefaultUser, realservers.DefaultPassword),
		fakeserver.WithToken(realservers.DefaultUser, realservers.DefaultToken),
		fakeserver.WithUser(realservers.HeldUser, heldPassword()),
		fakeserver.WithRestrictedMailbox(realservers.DeniedMailbox),
	}
	specs := certSpecs(sit.cert)
	if sit.killHeld {
		specs = append(specs, "delay:AUTHENTICATE=1m", "delay:LOGIN=1m")
	}
	set, err := faults.ParseAll(specs)
	if err != nil {
		t.Fatal(err)
	}
	if len(set) > 0 {
		opts = append(opts, fakeserver.WithFaults(set...))
	}
	return fakeServer{fakeserver.New(t, append(opts, extra...)...)}
}

// certSpecs is the cert fault that gives the fake Dovecot's certificate.
func certSpecs(cert realservers.CertKind) []string {
	switch cert {
	case realservers.CertSelfSigned:
		return []string{"cert:self-signed"}
	case realservers.CertExpired:
		return []string{"cert:expired"}
	case realservers.CertWrongHost:
		return []string{"cert:wrong-host"}
	}
	return nil
}

func hostPort(host string, port int) string { return net.JoinHostPort(host, strconv.Itoa(port)) }

type fakeServer struct{ *fakeserver.Server }

func (f fakeServer) host() string         { return "127.0.0.1" }
func (f fakeServer) plainPort() int       { return portOf(f.PlainAddr()) }
func (f fakeServer) tlsPort() int         { return portOf(f.TLSAddr()) }
func (f fakeServer) pool() *x509.CertPool { return f.CAPool() }

func (f fakeServer) stop(t *testing.T) {
	if err := f.Close(); err != nil {
		t.Errorf("close fake: %v", err)
	}
}

// killWhenHeld closes the fake once a connection waits in its login.
func (f fakeServer) killWhenHeld(t *testing.T, user string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for !f.loginPending() {
		select {
		case <-ctx.Done():
			t.Errorf("no login held on the fake for %s", user)
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
	f.stop(t)
}

func (f fakeServer) loginPending() bool {
	for _, c := range f.Connections() {
		if n := len(c.Commands); c.Closed == "" && n > 0 {
			if last := c.Commands[n-1].Name; last == "AUTHENTICATE" || last == "LOGIN" {
				return true
			}
		}
	}
	return false
}

func portOf(addr string) int {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		panic(err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		panic(err)
	}
	return n
}

// fidelityTable logs one row per situation with a column per server (the
// Dovecot launchers first, then the fakes) and a match column (also to
// $IMAPPROBE_FIDELITY_OUT when set), and fails for every situation where a
// fake's outcome differs from a Dovecot's. A column whose suite did not run
// shows "-".
func fidelityTable(t *testing.T, dovecots, fakes []string, outcomes map[string]map[string]string) {
	t.Helper()
	var b strings.Builder
	row := func(cells []string, match string) {
		for _, c := range cells {
			fmt.Fprintf(&b, "%-28s | ", c)
		}
		b.WriteString(match + "\n")
	}
	b.WriteString("\n")
	columns := slices.Concat(dovecots, fakes)
	row(append([]string{"situation"}, columns...), "match")
	for _, sit := range situations() {
		cells := []string{sit.name}
		match := "yes"
		for _, col := range columns {
			cell, ok := outcomes[col][sit.name]
			if !ok {
				cell = "-"
			}
			cells = append(cells, cell)
		}
		for i := range fakes {
			fake := cells[1+len(dovecots)+i]
			for _, c := range cells[1 : 1+len(dovecots)] {
				if c != "-" && c != fake {
					match = "NO"
					t.Errorf("fidelity: %s: Dovecot gives %s, the %s %s", sit.name, c, fakes[i], fake)
				}
			}
		}
		row(cells, match)
	}
	t.Log(b.String())
	// go test hides a passing package's log; make test shows this file.
	if out := os.Getenv("IMAPPROBE_FIDELITY_OUT"); out != "" {
		if err := os.WriteFile(out, []byte(b.String()), 0o644); err != nil {
			t.Errorf("writing the fidelity table: %v", err)
		}
	}
}
