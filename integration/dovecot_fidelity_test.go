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
// real servers first, then the fakes) and a match column (also to
// $IMAPPROBE_FIDELITY_OUT when set), and fails for every situation where
// two columns differ. A column whose suite did not run shows "-"; a cell
// in na (column, then situation) shows its reason instead of the outcome
// and is compared with nothing: that server cannot produce the situation.
func fidelityTable(t *testing.T, reals, fakes []string, outcomes map[string]map[string]string, na map[string]map[string]string) {
	t.Helper()
	rows, mismatches := fidelityRows(situations(), slices.Concat(reals, fakes), outcomes, na)
	for _, m := range mismatches {
		t.Error("fidelity: " + m)
	}
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], len(c))
		}
	}
	var b strings.Builder
	b.WriteString("\n")
	for _, r := range rows {
		for i, c := range r[:len(r)-1] {
			fmt.Fprintf(&b, "%-*s | ", widths[i], c)
		}
		b.WriteString(r[len(r)-1] + "\n")
	}
	t.Log(b.String())
	// go test hides a passing package's log; make test shows this file.
	if out := os.Getenv("IMAPPROBE_FIDELITY_OUT"); out != "" {
		if err := os.WriteFile(out, []byte(b.String()), 0o644); err != nil {
			t.Errorf("writing the fidelity table: %v", err)
		}
	}
}

// fidelityRows builds the table's rows, the header first, and says where
// two comparable cells of a row differ.
func fidelityRows(sits []situation, columns []string, outcomes, na map[string]map[string]string) (rows [][]string, mismatches []string) {
	rows = [][]string{append(append([]string{"situation"}, columns...), "match")}
	for _, sit := range sits {
		cells := []string{sit.name}
		match, first, firstCol := "yes", "", ""
		for _, col := range columns {
			cell, ok := outcomes[col][sit.name]
			switch why, skip := na[col][sit.name]; {
			case !ok:
				cell = "-"
			case skip:
				cell = "n/a: " + why
			case first == "":
				first, firstCol = cell, col
			case cell != first:
				match = "NO"
				mismatches = append(mismatches, fmt.Sprintf("%s: %s gives %s, %s %s", sit.name, firstCol, first, col, cell))
			}
			cells = append(cells, cell)
		}
		rows = append(rows, append(cells, match))
	}
	return rows, mismatches
}
