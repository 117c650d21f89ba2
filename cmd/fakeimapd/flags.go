package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/faults"
	"github.com/imapprobe/imapprobe/scenarios"
)

const usage = `usage: fakeimapd [flags]

A fake IMAP server on loopback with injectable faults.

  --mode tls|starttls|plaintext   main port's security (default tls)
  --listen ADDR                   plain/STARTTLS port (default 127.0.0.1:0 unless --mode tls)
  --tls-listen ADDR               implicit-TLS port (default 127.0.0.1:0 under --mode tls)
  --allow-plaintext-auth          allow LOGIN/AUTHENTICATE before STARTTLS
  --persona goimap|dovecot|cyrus  look like go-imap (default), Dovecot 2.3 or Cyrus 3.6 on the wire
  --user NAME:PASS                add a user (repeatable; visible in ps: prefer the env or file)
  --token USER:TOKEN              accept an OAuth token (repeatable; same warning)
  --users-file FILE               lines NAME:PASS
  --tokens-file FILE              lines USER:TOKEN
  --credentials-out FILE          write the users and passwords (mode 0600), e.g. generated ones
  --messages N                    extra generated messages in each INBOX (not of users --seed gives mail)
  --seed FILE|DIR                 seed users and mail from a JSON or YAML file, a Maildir directory or an
                                  mbox file (repeatable; Maildir and mbox mail goes to the first user)
  --restricted-mailbox NAME       also seed NAME, listed but refusing SELECT/EXAMINE/STATUS (NO [NOPERM])
  --fresh-state server|connection server: one fresh seed shared by all connections (default);
                                  connection: each login gets its own fresh copy
  --fault SPEC                    inject a fault (repeatable), e.g. 'delay:SELECT|EXAMINE=3s'
  --faults-file FILE.json         faults as JSON: [..] or {"faults":[..]}
  --ca-out FILE                   write the CA certificate (PEM) that clients must trust
  --control ADDR                  HTTP control API on loopback (GET/PUT/POST/DELETE /faults, GET/PUT/DELETE
                                  /faults/NAME, GET /connections); changes need -H 'X-Imapprobe-Control: 1'
                                  or a JSON body (see README); a browser on http://ADDR/ gets the dashboard
  --control-token-file FILE       the control API needs "Authorization: Bearer TOKEN", TOKEN read from FILE
  --quiet                         log one line per connection, without the transcript
  --upstream imaps://HOST:PORT    proxy mode: pass every session through to this real server (imap:// means
                                  STARTTLS), with the faults applied to it; users and seeding are the upstream's
  --upstream-ca FILE              verify the upstream against this CA (PEM) instead of the system roots
  --upstream-insecure             do not verify the upstream's certificate
  --record DIR                    with --upstream: write each client connection's session to DIR as a
                                  recording (secrets masked) that --replay serves, one new file a connection
  --scenario NAME                 start in a scenario of the diagnosis matrix (its mode and faults), and
                                  print the imapprobe command that reproduces its diagnosis
  --list-scenarios                list the scenarios and exit
  --replay FILE                   serve a recording (imapprobe --record FILE) instead of the fake, on
                                  --listen, with its TLS mode and a fresh CA (--ca-out)
  --replay-timing                 with --replay: send each response as late as it was recorded
  --replay-recorded-user          with --replay: refuse a login as any user but the recorded one

Environment: FAKEIMAPD_USERS (NAME:PASS,...) and FAKEIMAPD_TOKENS (USER:TOKEN,...).
Fault kinds: ` + "%s" + `.
`

// errHelp asks for the usage text.
var errHelp = errors.New("help requested")

// usageError is bad input found after flag parsing (e.g. a port in use is
// not one, a non-loopback address is).
type usageError struct{ error }

type options struct {
	mode              fakeserver.Mode
	persona           fakeserver.Persona
	listen, tlsListen string
	allowPlainAuth    bool
	users             []pair
	tokens            []pair
	credentialsOut    string
	messages          int
	seeds             []*fakeserver.Seed
	restricted        string
	fresh             fakeserver.FreshScope
	faults            faults.Set
	caOut             string
	control           string
	controlToken      string
	quiet             bool
	listScenarios     bool
	scenario          *scenarios.Scenario // --scenario, for the imapprobe command
	secretsOnCmdLine  bool
	upstream          *fakeserver.Upstream // --upstream
	recordDir         string               // --record, with --upstream
	replay            replayOptions        // --replay
}

type pair struct{ name, secret string }

// multiFlag collects a repeatable flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func parseFlags(args []string, getenv func(string) string) (*options, error) {
	fs := flag.NewFlagSet("fakeimapd", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	var (
		o                                    options
		mode, usersFile, tokensFile, faultsF string
		controlTokenFile                     string
		persona, fresh                       string
		scenario                             string
		users, tokens, specs, seeds          multiFlag
		up                                   upstreamFlags
	)
	fs.StringVar(&mode, "mode", "tls", "")
	fs.StringVar(&o.listen, "listen", "", "")
	fs.StringVar(&o.tlsListen, "tls-listen", "", "")
	fs.BoolVar(&o.allowPlainAuth, "allow-plaintext-auth", false, "")
	fs.StringVar(&persona, "persona", "goimap", "")
	fs.Var(&users, "user", "")
	fs.Var(&tokens, "token", "")
	fs.StringVar(&usersFile, "users-file", "", "")
	fs.StringVar(&tokensFile, "tokens-file", "", "")
	fs.StringVar(&o.credentialsOut, "credentials-out", "", "")
	fs.IntVar(&o.messages, "messages", 0, "")
	fs.Var(&seeds, "seed", "")
	fs.StringVar(&o.restricted, "restricted-mailbox", "", "")
	fs.StringVar(&fresh, "fresh-state", "server", "")
	fs.Var(&specs, "fault", "")
	fs.StringVar(&faultsF, "faults-file", "", "")
	fs.StringVar(&o.caOut, "ca-out", "", "")
	fs.StringVar(&o.control, "control", "", "")
	fs.StringVar(&controlTokenFile, "control-token-file", "", "")
	fs.BoolVar(&o.quiet, "quiet", false, "")
	fs.StringVar(&scenario, "scenario", "", "")
	fs.BoolVar(&o.listScenarios, "list-scenarios", false, "")
	fs.StringVar(&up.url, "upstream", "", "")
	fs.StringVar(&up.caFile, "upstream-ca", "", "")
	fs.BoolVar(&up.insecure, "upstream-insecure", false, "")
	fs.StringVar(&up.record, "record", "", "")
	fs.StringVar(&o.replay.path, "replay", "", "")
	fs.BoolVar(&o.replay.timing, "replay-timing", false, "")
	fs.BoolVar(&o.replay.recordedUser, "replay-recorded-user", false, "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, errHelp
		}
		return nil, fmt.Errorf("%v; run fakeimapd -h for the flags", err)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q; run fakeimapd -h for the flags", fs.Arg(0))
	}
	if err := o.replay.check(fs); err != nil {
		return nil, err
	}
	var err error
	if o.mode, err = fakeserver.ParseMode(mode); err != nil {
		return nil, fmt.Errorf("--mode: %v", err)
	}
	if o.persona, err = fakeserver.ParsePersona(persona); err != nil {
		return nil, fmt.Errorf("--persona: %v", err)
	}
	if o.messages < 0 {
		return nil, fmt.Errorf("--messages %d: want 0 or more", o.messages)
	}
	if o.fresh, err = fakeserver.ParseFreshScope(fresh); err != nil {
		return nil, fmt.Errorf("--fresh-state: %v", err)
	}
	if o.upstream, err = up.option(); err != nil {
		return nil, err
	}
	o.recordDir = up.record

	o.secretsOnCmdLine = len(users)+len(tokens) > 0
	for _, src := range []struct {
		name   string
		values []string
		dst    *[]pair
	}{
		{"--user", users, &o.users},
		{"--token", tokens, &o.tokens},
		{"FAKEIMAPD_USERS", splitList(getenv("FAKEIMAPD_USERS")), &o.users},
		{"FAKEIMAPD_TOKENS", splitList(getenv("FAKEIMAPD_TOKENS")), &o.tokens},
	} {
		for _, v := range src.values {
			p, err := parsePair(src.name, v)
			if err != nil {
				return nil, err
			}
			*src.dst = append(*src.dst, p)
		}
	}
	for _, f := range []struct {
		flag, path string
		dst        *[]pair
	}{{"--users-file", usersFile, &o.users}, {"--tokens-file", tokensFile, &o.tokens}} {
		if f.path == "" {
			continue
		}
		ps, err := readPairs(f.flag, f.path)
		if err != nil {
			return nil, err
		}
		*f.dst = append(*f.dst, ps...)
	}

	for _, path := range seeds {
		sd, err := fakeserver.LoadSeed(path)
		if err != nil {
			return nil, fmt.Errorf("--seed: %v", err) // one line, without secrets
		}
		o.seeds = append(o.seeds, sd)
	}

	if controlTokenFile != "" {
		if o.control == "" {
			return nil, errors.New("--control-token-file needs --control ADDR: without the control API there is nothing to protect")
		}
		if o.controlToken, err = readToken(controlTokenFile); err != nil {
			return nil, fmt.Errorf("--control-token-file: %v", err)
		}
	}

	if faultsF != "" {
		set, err := faults.ReadFile(faultsF)
		if err != nil {
			return nil, flagError("--faults-file", err)
		}
		o.faults = append(o.faults, set...)
	}
	set, err := faults.ParseAll(specs)
	if err != nil {
		return nil, flagError("--fault", err)
	}
	o.faults = append(o.faults, set...)
	if scenario != "" {
		modeGiven := false
		fs.Visit(func(f *flag.Flag) { modeGiven = modeGiven || f.Name == "mode" })
		if err := applyScenario(&o, scenario, modeGiven); err != nil {
			return nil, err
		}
		if o.replay.rec != nil {
			set := setFlags(fs)
			delete(set, "scenario")
			if err := refuseFakeFlags(set, "--scenario "+scenario+", a recording served as it is"); err != nil {
				return nil, err
			}
		}
	}
	return &o, nil
}

func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' })
}

// parsePair reads NAME:SECRET; errors never quote the secret.
func parsePair(source, v string) (pair, error) {
	name, secret, ok := strings.Cut(strings.TrimSpace(v), ":")
	if !ok || name == "" || secret == "" {
		return pair{}, fmt.Errorf("%s: want NAME:SECRET, got %s", source, redactedShape(v))
	}
	return pair{name: name, secret: secret}, nil
}

// redactedShape describes a malformed credential without showing it.
func redactedShape(v string) string {
	if name, _, ok := strings.Cut(v, ":"); ok {
		return strconv.Quote(name) + ":<hidden>"
	}
	return fmt.Sprintf("a value without ':' (%d characters)", len(v))
}

func readPairs(flagName, path string) ([]pair, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", flagName, err)
	}
	defer f.Close()
	var out []pair
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		p, err := parsePair(fmt.Sprintf("%s %s line %d", flagName, path, n), line)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, sc.Err()
}

// maxTokenFile bounds the control token file: a token is short, and a
// wrong path (/dev/zero) must not eat memory.
const maxTokenFile = 4 << 10

// readToken reads the control API's bearer token: the file's content
// without surrounding white space. Errors never quote it.
func readToken(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxTokenFile+1))
	if err != nil {
		return "", err
	}
	if len(b) > maxTokenFile {
		return "", fmt.Errorf("%s is over %d bytes: write only the token in it", path, maxTokenFile)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("%s is empty: write a token in it, e.g. openssl rand -hex 16 > %s", path, path)
	}
	if strings.ContainsAny(tok, " \t\r\n") {
		return "", fmt.Errorf("%s holds white space inside the token: write one token on one line", path)
	}
	return tok, nil
}

// flagError prefixes err with the flag it concerns, dropping the faults
// package's own "faults: " so that the message has one prefix chain:
// "fakeimapd: --fault: unknown command ...".
func flagError(flag string, err error) error {
	return fmt.Errorf("%s: %s", flag, strings.TrimPrefix(err.Error(), "faults: "))
}
