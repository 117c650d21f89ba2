package main

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/prober"
	"github.com/imapprobe/imapprobe/scenarios"
)

// probeServer is what the imapprobe command for a scenario needs to know
// about the running fake.
type probeServer struct {
	mode               fakeserver.Mode
	plainAddr, tlsAddr string
	user               string
	password, token    string
	// closedPort returns a loopback address nothing listens on.
	closedPort func() (string, error)
}

// probeFile is a file the printed command names, for serve to write.
type probeFile struct {
	path string
	data []byte
	perm os.FileMode
}

// probeSideOnly is a scenario the imapprobe command cannot reproduce: only
// the prober library, called with such settings, gives its diagnosis.
type probeSideOnly struct{ reason string }

func (p probeSideOnly) Error() string { return p.reason }

// probeFields are the scenarios.Probe settings probeCommand turns into
// imapprobe arguments; a scenario setting any other field is probe-side
// only until this function learns it.
var probeFields = []string{"TLS", "Port", "Host", "ClosedPort", "Auth", "Mailbox", "WrongSecret", "UntrustedCA",
	"InsecureSkipVerify", "AllowPlaintextAuth", "Select", "StepTimeout", "Slow", "NoCredentials", "QuitAfter", "AllowWeakTLS"}

// probeCommand returns the imapprobe argument list (without "imapprobe")
// that reproduces sc against srv, and the files it names in dir: the
// password or token (the wrong one where the scenario sends a wrong one)
// and the CA certificate.
func probeCommand(sc scenarios.Scenario, srv probeServer, caPEM []byte, dir string) ([]string, []probeFile, error) {
	p := sc.Probe
	pv := reflect.ValueOf(p)
	for i := range pv.NumField() {
		if name := pv.Type().Field(i).Name; !pv.Field(i).IsZero() && !slices.Contains(probeFields, name) {
			return nil, nil, probeSideOnly{fmt.Sprintf("its probe setting %s has no imapprobe flag", name)}
		}
	}
	if p.NoCredentials && needsLogin(p.QuitAfter) {
		return nil, nil, probeSideOnly{"imapprobe refuses to run without credentials (exit 2) before it connects; the prober library, called with none, reports " + string(sc.Want.Code)}
	}

	tlsMode := prober.TLSMode(p.TLS)
	if tlsMode == "" {
		tlsMode = map[fakeserver.Mode]prober.TLSMode{fakeserver.ModeImplicitTLS: prober.TLSImplicit,
			fakeserver.ModeStartTLS: prober.TLSStartTLS, fakeserver.ModePlaintext: prober.TLSNone}[srv.mode]
	}
	port := p.Port
	if port == "" {
		port = "plain"
		if tlsMode == prober.TLSImplicit {
			port = "tls"
		}
	}
	addr, listen := srv.plainAddr, "--listen"
	if port == "tls" {
		addr, listen = srv.tlsAddr, "--tls-listen"
	}
	if p.ClosedPort {
		var err error
		if addr, err = srv.closedPort(); err != nil {
			return nil, nil, err
		}
	} else if addr == "" {
		return nil, nil, fmt.Errorf("the scenario probes fakeimapd's %s port: add %s 127.0.0.1:0", port, listen)
	}
	host, portNum, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, err
	}
	if p.Host != "" {
		host = p.Host
	}
	u := url.URL{Scheme: "imap", Host: net.JoinHostPort(host, portNum), User: url.User(srv.user), Path: "/" + orDefault(p.Mailbox, "INBOX")}
	if tlsMode == prober.TLSImplicit {
		u.Scheme = "imaps"
	}
	args := []string{u.String()}
	if tlsMode == prober.TLSNone {
		args = append(args, "--tls", "none")
	}
	if p.Auth != "" {
		args = append(args, "--auth", p.Auth)
	}

	var files []probeFile
	password, token := srv.password, srv.token
	if p.WrongSecret {
		password, token = "wrong-"+password, "wrong-"+token
	}
	switch {
	case p.NoCredentials:
	case p.Auth == "xoauth2" || p.Auth == "oauthbearer":
		f := probeFile{filepath.Join(dir, "token"), []byte(token + "\n"), 0o600}
		files = append(files, f)
		args = append(args, "--token-file", f.path)
	default:
		f := probeFile{filepath.Join(dir, "password"), []byte(password + "\n"), 0o600}
		files = append(files, f)
		args = append(args, "--password-file", f.path)
	}
	if !p.UntrustedCA && tlsMode != prober.TLSNone {
		f := probeFile{filepath.Join(dir, "ca.pem"), caPEM, 0o644}
		files = append(files, f)
		args = append(args, "--ca-file", f.path)
	}
	for _, b := range []struct {
		on   bool
		flag string
	}{{p.InsecureSkipVerify, "--insecure-skip-verify"}, {p.AllowPlaintextAuth, "--allow-plaintext-auth"},
		{p.AllowWeakTLS, "--allow-weak-tls"}, {p.Select, "--select"}} {
		if b.on {
			args = append(args, b.flag)
		}
	}
	if p.StepTimeout > 0 {
		args = append(args, "--timeout", p.StepTimeout.String())
	}
	if p.Slow > 0 {
		args = append(args, "--slow", p.Slow.String())
	}
	if p.QuitAfter != "" {
		args = append(args, "--quit-after", p.QuitAfter)
	}
	return args, files, nil
}

// needsLogin reports whether a probe that quits after quitAfter ("" for
// none) reaches the auth step, as imapprobe decides it.
func needsLogin(quitAfter string) bool {
	i := slices.Index(prober.Steps, quitAfter)
	return i < 0 || i >= slices.Index(prober.Steps, prober.StepAuth)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_./:@=+,%-]+$`)

// shellJoin writes args as one POSIX shell command line.
func shellJoin(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if shellSafe.MatchString(a) {
			out[i] = a
		} else {
			out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(out, " ")
}
