// Command imapprobe diagnoses an IMAP account step by step and says where,
// and why, it fails: DNS, TCP, TLS, greeting, STARTTLS, authentication,
// mailbox or fetch. See `imapprobe --help`.
package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/imapprobe/imapprobe/prober"
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr))
}

// usageError is bad input: one line on stderr, exit 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// config is the parsed command line.
type config struct {
	target  prober.Target
	opts    prober.Options
	verbose bool
	json    bool
	strict  bool
}

// run is main without process globals, for tests.
func run(args []string, env func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "demo" {
		return runDemo(args[1:], env, stdout, stderr)
	}
	cfg, err := parseArgs(args, env, stdin, stderr)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, helpText)
		return prober.ExitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, "imapprobe: "+oneLine(err.Error()))
		return prober.ExitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return probeAndReport(ctx, cfg, env, stdout, stderr)
}

// exitInterrupted is the shell's code for a process ended by SIGINT.
const exitInterrupted = 130

// probeAndReport runs the probe and prints its report. Once ctx is
// cancelled (Ctrl-C), the report so far is printed and the exit code says
// the probe was interrupted, not that the server timed out.
func probeAndReport(ctx context.Context, cfg *config, env func(string) string, stdout, stderr io.Writer) int {
	rep := prober.Probe(ctx, cfg.target, cfg.opts)
	interrupted := ctx.Err() != nil
	code := rep.ExitCode(cfg.strict)
	if interrupted {
		code = exitInterrupted
	}
	if cfg.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		doc := struct {
			*prober.Report
			ExitCode int `json:"exit_code"` // the process exit code, as in --help
		}{rep, code}
		if err := enc.Encode(doc); err != nil {
			fmt.Fprintln(stderr, "imapprobe: cannot encode the report: "+err.Error())
			return prober.ExitMisbehaved
		}
	} else {
		writeText(stdout, rep, textStyle{verbose: cfg.verbose, color: useColor(stdout, env), strict: cfg.strict, interrupted: interrupted})
	}
	if interrupted {
		fmt.Fprintln(stderr, "imapprobe: interrupted; the report above is incomplete")
	}
	return code
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// parseArgs turns the command line into a probe configuration, reading
// secrets from the environment, files, a command or a prompt.
func parseArgs(args []string, env func(string) string, stdin io.Reader, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("imapprobe", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	var (
		host, user, mailbox, tlsMode, connectAddr, serverName string
		port                                                  int
		password, passwordFile, tokenFile, tokenCmd, caFile   string
		auth, sourceAddr                                      string
		insecure, allowPlain, selectRW, verbose, asJSON       bool
		strict                                                bool
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
	fs.BoolVar(&selectRW, "select", false, "")
	fs.BoolVar(&verbose, "v", false, "")
	fs.BoolVar(&verbose, "verbose", false, "")
	fs.BoolVar(&asJSON, "json", false, "")
	fs.BoolVar(&strict, "strict", false, "")
	fs.DurationVar(&timeout, "timeout", prober.DefaultStepTimeout, "")
	fs.DurationVar(&total, "total-timeout", prober.DefaultTimeout, "")
	fs.DurationVar(&slow, "slow", prober.DefaultSlow, "")
	fs.DurationVar(&expiry, "expiry-warning", prober.DefaultExpiryWarning, "")
	fs.Var(&maxFetch, "max-fetch", "")

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
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	var t prober.Target
	switch len(positional) {
	case 0:
		if host == "" {
			return nil, usagef("no target: give a URL such as imaps://alice@mail.example.com/INBOX, or --host (see imapprobe --help)")
		}
	case 1:
		if set["host"] {
			return nil, usagef("give either a URL or --host, not both")
		}
		var err error
		if t, err = prober.ParseURL(positional[0]); err != nil {
			return nil, usageError{err.Error()}
		}
	default:
		return nil, usagef("unexpected argument %q: give one URL", positional[1])
	}
	if host != "" {
		h, err := checkHost(host)
		if err != nil {
			return nil, err
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
			return nil, usagef("--tls: %v", err)
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
		return nil, usageError{err.Error()}
	}

	o := prober.Options{
		Auth: strings.ToLower(auth), InsecureSkipVerify: insecure, AllowPlaintextAuth: allowPlain,
		Select: selectRW, StepTimeout: timeout, Timeout: total, Slow: slow, ExpiryWarning: expiry,
		MaxFetch: int64(maxFetch), SourceAddr: sourceAddr,
	}
	switch o.Auth {
	case "", "login", "plain", "xoauth2", "oauthbearer":
	default:
		return nil, usagef("--auth %q: use login, plain, xoauth2 or oauthbearer", auth)
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
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, usagef("cannot read --ca-file: %v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, usagef("--ca-file %s holds no PEM certificate", caFile)
		}
		o.RootCAs = pool
	}
	if err := readSecrets(&o, t, secretSources{password, passwordFile, tokenFile, tokenCmd, set["password"]}, env, stdin, stderr); err != nil {
		return nil, err
	}
	return &config{target: t, opts: o, verbose: verbose, json: asJSON, strict: strict}, nil
}

var (
	badFlagValue = regexp.MustCompile(`^invalid (?:boolean )?value "(.*)" for (?:flag )?-([\w-]+): (.*)$`)
	flagName     = regexp.MustCompile(`-([\w-]+)$`)
)

// flagWants says what a flag takes, where the flag package only says
// "parse error".
var flagWants = map[string]string{
	"port": "want a port number from 1 to 65535", "timeout": "want a duration such as 10s, 500ms or 2m",
	"total-timeout": "want a duration such as 60s or 2m", "slow": "want a duration such as 2s or 500ms",
	"expiry-warning": "want a duration such as 336h (14 days)",
}

// flagError rewords the flag package's errors with the --name the help
// uses and what the flag expects.
func flagError(err error) string {
	msg := err.Error()
	if m := badFlagValue.FindStringSubmatch(msg); m != nil {
		why := m[3]
		if w, ok := flagWants[m[2]]; ok && why == "parse error" {
			why = w
		} else if strings.HasPrefix(msg, "invalid boolean") {
			why = "want true or false, or just " + dashes(m[2])
		}
		return fmt.Sprintf("%s %q: %s", dashes(m[2]), m[1], why)
	}
	name := ""
	if m := flagName.FindStringSubmatch(msg); m != nil {
		name = dashes(m[1])
	}
	switch {
	case strings.HasPrefix(msg, "flag provided but not defined"):
		return "unknown flag " + name
	case strings.HasPrefix(msg, "flag needs an argument"):
		return name + " needs a value"
	}
	return msg
}

func dashes(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

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

type secretSources struct {
	password, passwordFile, tokenFile, tokenCmd string
	passwordFlag                                bool
}

// readSecrets fills o.Password and o.Token. Errors never quote a secret.
func readSecrets(o *prober.Options, t prober.Target, src secretSources, env func(string) string, stdin io.Reader, stderr io.Writer) error {
	wantToken := o.Auth == "xoauth2" || o.Auth == "oauthbearer"
	switch {
	case src.tokenFile != "":
		b, err := os.ReadFile(src.tokenFile)
		if err != nil {
			return usagef("cannot read --token-file: %v", err)
		}
		o.Token = strings.TrimSpace(string(b))
		if o.Token == "" {
			return usagef("--token-file %s is empty: write the OAuth2 access token into it", src.tokenFile)
		}
	case src.tokenCmd != "":
		tok, err := runTokenCmd(src.tokenCmd, tokenCmdTimeout, stderr)
		if err != nil {
			return err
		}
		o.Token = tok
	case env("IMAPPROBE_TOKEN") != "":
		o.Token = strings.TrimSpace(env("IMAPPROBE_TOKEN"))
	}
	if wantToken {
		if o.Token == "" {
			return usagef("--auth %s needs a token: set IMAPPROBE_TOKEN, or use --token-file or --token-cmd", o.Auth)
		}
		return nil
	}
	switch {
	case src.passwordFile != "":
		b, err := os.ReadFile(src.passwordFile)
		if err != nil {
			return usagef("cannot read --password-file: %v", err)
		}
		first, _, _ := strings.Cut(string(b), "\n")
		o.Password = strings.TrimSuffix(first, "\r")
		if o.Password == "" {
			return usagef("--password-file %s has an empty first line: put the password on it", src.passwordFile)
		}
	case src.passwordFlag:
		if src.password == "" {
			return usagef("--password is empty: give the password, or better use IMAPPROBE_PASSWORD, --password-file or the prompt")
		}
		fmt.Fprintln(stderr, "imapprobe: warning: --password is visible in the process list and shell history; prefer IMAPPROBE_PASSWORD, --password-file or the prompt")
		o.Password = src.password
	case env("IMAPPROBE_PASSWORD") != "":
		o.Password = env("IMAPPROBE_PASSWORD")
	case o.Token == "" && t.User != "":
		if f, ok := stdin.(*os.File); ok && isTerminal(f) {
			pw, err := promptPassword(f, stderr, fmt.Sprintf("Password for %s@%s: ", t.User, t.Host))
			if err != nil {
				return usagef("cannot read the password: %v", err)
			}
			o.Password = pw
		}
	}
	if o.Password == "" && (o.Auth == "login" || o.Auth == "plain") {
		return usagef("--auth %s needs a password: set IMAPPROBE_PASSWORD, use --password-file, or run on a terminal to be prompted", o.Auth)
	}
	return nil
}

// tokenCmdTimeout bounds --token-cmd, which may wait on a network or a
// person (a browser login).
const tokenCmdTimeout = 30 * time.Second

// runTokenCmd runs a command that prints a fresh OAuth2 token.
func runTokenCmd(command string, timeout time.Duration, stderr io.Writer) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", command)
	cmd.Stderr = stderr
	// Killing the shell does not close stdout when a child of it still
	// holds the pipe (sh -c 'sleep 100'); WaitDelay stops waiting for it.
	cmd.WaitDelay = time.Second
	out, err := cmd.Output()
	switch {
	case err == nil:
	case errors.Is(err, exec.ErrWaitDelay) && cmd.ProcessState.Success():
		// it exited successfully, but left a background process on stdout
	case ctx.Err() != nil:
		return "", usagef("--token-cmd did not finish within %s: check the command, or save the token and use --token-file", timeout)
	default:
		return "", usagef("--token-cmd failed: %v", err)
	}
	if len(out) > 64<<10 {
		return "", usagef("--token-cmd printed %d bytes; expected one token", len(out))
	}
	tok := strings.TrimSpace(string(out))
	if tok == "" {
		return "", usagef("--token-cmd printed nothing; it must print the token on stdout")
	}
	return tok, nil
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
