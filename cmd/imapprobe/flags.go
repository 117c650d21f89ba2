package main

import (
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/imapprobe/imapprobe/internal/authmech"
	"github.com/imapprobe/imapprobe/internal/cliflag"
	"github.com/imapprobe/imapprobe/prober"
)

// parseArgs turns the command line into a probe configuration, reading
// secrets from the environment, files, a command or a prompt.
func parseArgs(ctx context.Context, args []string, env func(string) string, stdin io.Reader, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("imapprobe", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	var (
		host, user, mailbox, tlsMode, connectAddr, serverName string
		port                                                  int
		password, passwordFile, tokenFile, tokenCmd, caFile   string
		auth, sourceAddr, quitAfter, record                   string
		insecure, allowPlain, selectRW, verbose, asJSON       bool
		strict, allowWeak, showVersion                        bool
		timeout, total, slow, expiry                          time.Duration
		maxFetch                                              = sizeFlag(prober.DefaultMaxFetch)
	)
	fs.StringVar(&host, "host", "", "")
	fs.IntVar(&port, "port", 0, "")
	fs.StringVar(&user, "user", "", "")
	fs.StringVar(&mailbox, "mailbox", "", "")
	fs.StringVar(&tlsMode, "tls", "", "")
	fs.StringVar(&connectAddr, "connect-addr", "", "")
	fs.StringVar(&serverName, "servername", "", "")
	fs.StringVar(&sourceAddr, "source-addr", "", "")
	fs.StringVar(&password, "password", "", "")
	fs.StringVar(&passwordFile, "password-file", "", "")
	fs.StringVar(&tokenFile, "token-file", "", "")
	fs.StringVar(&tokenCmd, "token-cmd", "", "")
	fs.StringVar(&auth, "auth", "", "")
	fs.StringVar(&caFile, "ca-file", "", "")
	fs.BoolVar(&insecure, "insecure-skip-verify", false, "")
	fs.BoolVar(&allowPlain, "allow-plaintext-auth", false, "")
	fs.BoolVar(&allowWeak, "allow-weak-tls", false, "")
	fs.StringVar(&quitAfter, "quit-after", "", "")
	fs.BoolVar(&showVersion, "version", false, "")
	fs.BoolVar(&selectRW, "select", false, "")
	fs.BoolVar(&verbose, "v", false, "")
	fs.BoolVar(&verbose, "verbose", false, "")
	fs.BoolVar(&asJSON, "json", false, "")
	htmlPath := fs.String("html", "", "")
	fs.BoolVar(&strict, "strict", false, "")
	fs.StringVar(&record, "record", "", "")
	fs.DurationVar(&timeout, "timeout", prober.DefaultStepTimeout, "")
	fs.DurationVar(&total, "total-timeout", prober.DefaultTimeout, "")
	fs.DurationVar(&slow, "slow", prober.DefaultSlow, "")
	fs.DurationVar(&expiry, "expiry-warning", prober.DefaultExpiryWarning, "")
	fs.Var(&maxFetch, "max-fetch", "")
	var pipe pipeline
	pipe.register(fs)

	// Flags may follow the URL, as with curl.
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usagef("%s (see imapprobe --help)", flagError(err))
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if showVersion {
		return nil, errVersion
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	if set["html"] && *htmlPath == "" {
		return nil, usagef("--html needs a file name, e.g. --html report.html")
	}
	if err := pipe.check(asJSON, set); err != nil {
		return nil, err
	}
	if pipe.targetsFile == "-" && passwordFile == "-" {
		return nil, usagef("--targets - and --password-file - both want standard input: put one in a file")
	}
	lines := make([]targetLine, 0, len(positional))
	for _, p := range positional {
		lines = append(lines, targetLine{raw: p})
	}
	if pipe.targetsFile != "" {
		more, err := readTargetsFile(pipe.targetsFile, stdin)
		if err != nil {
			return nil, err
		}
		lines = append(lines, more...)
	}
	pipe.batch = len(lines) > 1 || pipe.targetsFile != ""
	switch {
	case len(lines) == 0 && host == "":
		return nil, usagef("no target: give a URL such as imaps://alice@mail.example.com/INBOX, or --host (see imapprobe --help)")
	case len(lines) > 0 && set["host"]:
		return nil, usagef("give either a URL or --host, not both")
	case len(lines) == 0:
		lines = append(lines, targetLine{host: true})
	}
	// complete applies the target flags to one URL (or to --host alone).
	complete := func(l targetLine) (prober.Target, error) {
		var t prober.Target
		if !l.host {
			var err error
			if t, err = prober.ParseURL(l.raw); err != nil {
				return t, usageError{err.Error()}
			}
		}
		if host != "" {
			h, err := checkHost(host)
			if err != nil {
				return t, err
			}
			t.Host = h
		}
		if user != "" {
			t.User = user
		}
		if mailbox != "" {
			t.Mailbox = mailbox
		}
		if tlsMode != "" {
			m, err := prober.ParseTLSMode(tlsMode)
			if err != nil {
				return t, usagef("--tls: %v", err)
			}
			t.TLS = m
		} else if t.TLS == "" {
			t.TLS = prober.TLSImplicit
			if port == 143 {
				t.TLS = prober.TLSStartTLS
			}
		}
		if set["port"] {
			t.Port = port
		} else if t.Port == 0 {
			t.Port = t.TLS.DefaultPort()
		}
		t.ConnectAddr, t.ServerName = connectAddr, serverName
		if err := t.Validate(); err != nil {
			return t, usageError{err.Error()}
		}
		return t, nil
	}
	targets := make([]prober.Target, 0, len(lines))
	for _, l := range lines {
		t, err := complete(l)
		if err != nil && l.where != "" {
			return nil, usagef("%s: %v", l.where, err) // one line naming file:line
		}
		if err != nil {
			return nil, err
		}
		targets = append(targets, t)
	}
	t := targets[0]

	o := prober.Options{
		Auth: strings.ToLower(auth), InsecureSkipVerify: insecure, AllowPlaintextAuth: allowPlain,
		Select: selectRW, StepTimeout: timeout, Timeout: total, Slow: slow, ExpiryWarning: expiry,
		MaxFetch: int64(maxFetch), SourceAddr: sourceAddr,
		QuitAfter: quitAfter, AllowWeakTLS: allowWeak, Strict: strict,
	}
	if quitAfter != "" {
		if err := prober.ValidateQuitAfter(quitAfter); err != nil {
			return nil, usageError{err.Error()}
		}
	}
	if _, ok := authmech.Lookup(o.Auth); o.Auth != "" && !ok {
		return nil, usagef("--auth %q: use %s", auth, strings.Join(authmech.Names(), ", "))
	}
	for name, d := range map[string]time.Duration{"timeout": timeout, "total-timeout": total, "slow": slow, "expiry-warning": expiry} {
		if d <= 0 {
			return nil, usagef("--%s must be positive, e.g. 10s", name)
		}
	}
	if sourceAddr != "" && net.ParseIP(sourceAddr) == nil {
		return nil, usagef("--source-addr %q is not an IP address: give a local address such as 192.0.2.10 or 2001:db8::10", sourceAddr)
	}
	if caFile != "" {
		pem, err := readCAFile(caFile)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, usagef("--ca-file %s holds no PEM certificate", caFile)
		}
		o.RootCAs = pool
	}
	if err := readSecrets(ctx, &o, t, secretSources{password, passwordFile, tokenFile, tokenCmd, set["password"]}, env, stdin, stderr); err != nil {
		return nil, err
	}
	for _, t := range targets {
		if err := checkCredentials(t, o); err != nil {
			return nil, err
		}
	}
	if pipe.format == "nagios" {
		o.ExpiryWarning = max(1, time.Duration(pipe.warnDays)*24*time.Hour) // 0: never warn
	}
	return &config{target: t, targets: targets, pipe: pipe, opts: o, verbose: verbose, json: asJSON, strict: strict, html: *htmlPath, record: record}, nil
}

// flagWants says what a flag takes, where the flag package only says
// "parse error".
var flagWants = map[string]string{
	"port": "want a port number from 1 to 65535", "timeout": "want a duration such as 10s, 500ms or 2m",
	"total-timeout": "want a duration such as 60s or 2m", "slow": "want a duration such as 2s or 500ms",
	"expiry-warning": "want a duration such as 336h (14 days)",
}

// flagError rewords the flag package's errors with the --name the help
// uses and what the flag expects.
func flagError(err error) string { return cliflag.Explain(err, flagWants) }

// maxCAFile bounds --ca-file: a system bundle is about 200 KiB.
const maxCAFile = 16 << 20

func readCAFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, usagef("cannot read --ca-file: %v", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxCAFile+1))
	switch {
	case err != nil:
		return nil, usagef("cannot read --ca-file %s: %v", path, err)
	case len(b) > maxCAFile:
		return nil, usagef("--ca-file %s is larger than %d MiB: give a PEM file of CA certificates", path, maxCAFile>>20)
	}
	return b, nil
}

// checkCredentials refuses a probe that would log in without credentials:
// an OK that never tested login would keep a monitoring job green. Only
// an explicit --quit-after before auth checks less.
func checkCredentials(t prober.Target, o prober.Options) error {
	if !needsLogin(o.QuitAfter) {
		return nil
	}
	const partial = "; or check only the connection with --quit-after capability"
	switch {
	case o.Password == "" && o.Token == "":
		return usagef("no password or token: set IMAPPROBE_PASSWORD (or IMAPPROBE_TOKEN), use --password-file or --token-file, or run on a terminal to be prompted" + partial)
	case t.User == "":
		return usagef("no user name: give one in the URL (imaps://USER@HOST/) or with --user" + partial)
	}
	return nil
}

// needsLogin reports whether the steps up to quitAfter include auth.
func needsLogin(quitAfter string) bool {
	for _, s := range prober.Steps {
		if s == prober.StepAuth {
			return true
		}
		if s == quitAfter {
			return false
		}
	}
	return true
}

func dashes(name string) string { return cliflag.Dashes(name) }

// checkHost catches a --host that cannot be a host name, before it turns
// into a puzzling DNS failure.
func checkHost(host string) (string, error) {
	if h, ok := strings.CutPrefix(host, "["); ok && strings.HasSuffix(h, "]") {
		host = strings.TrimSuffix(h, "]") // [::1], as in URLs
	}
	if net.ParseIP(host) != nil {
		return host, nil
	}
	if h, p, err := net.SplitHostPort(host); err == nil {
		return "", usagef("--host %q holds a port: use --host %s --port %s", host, h, p)
	}
	if host == "" || strings.ContainsAny(host, " \t/@:?#[]") {
		return "", usagef("--host %q is not a host name or IP address: give just the name, e.g. --host mail.example.com", host)
	}
	return host, nil
}

// sizeFlag parses byte sizes such as 65536, 64K or 1M.
type sizeFlag int64

func (s *sizeFlag) String() string { return strconv.FormatInt(int64(*s), 10) }

func (s *sizeFlag) Set(v string) error {
	mult := int64(1)
	num := strings.ToUpper(strings.TrimSpace(v))
	switch {
	case strings.HasSuffix(num, "K"):
		mult, num = 1<<10, strings.TrimSuffix(num, "K")
	case strings.HasSuffix(num, "M"):
		mult, num = 1<<20, strings.TrimSuffix(num, "M")
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 || n > 64<<20/mult {
		return fmt.Errorf("want a size from 1 to 64M, like 65536, 64K or 1M")
	}
	*s = sizeFlag(n * mult)
	return nil
}
