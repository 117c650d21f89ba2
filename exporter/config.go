package exporter

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/imapprobe/imapprobe/internal/authmech"
	"github.com/imapprobe/imapprobe/prober"
)

// Config is a parsed, checked configuration file.
type Config struct {
	Modules map[string]*Module `yaml:"modules"`
}

// Module is one way of probing, chosen by /probe?module=NAME.
type Module struct {
	TLS                string        `yaml:"tls"`     // implicit (default), starttls or none
	Port               int           `yaml:"port"`    // default from tls: 993 or 143
	CAFile             string        `yaml:"ca_file"` // PEM; empty: system roots
	InsecureSkipVerify bool          `yaml:"insecure_skip_verify"`
	ServerName         string        `yaml:"server_name"` // SNI and verification name
	Auth               string        `yaml:"auth"`        // mechanism; empty: best offered
	User               string        `yaml:"user"`        // when the target names none
	Mailbox            string        `yaml:"mailbox"`     // when the target names none; default INBOX
	Select             bool          `yaml:"select"`      // SELECT instead of EXAMINE
	QuitAfter          string        `yaml:"quit_after"`
	Timeout            time.Duration `yaml:"timeout"`      // whole probe, capped by the scrape timeout
	StepTimeout        time.Duration `yaml:"step_timeout"` // per step
	Slow               time.Duration `yaml:"slow"`         // slow-step warning
	ExpiryWarning      time.Duration `yaml:"expiry_warning"`
	MaxFetch           int64         `yaml:"max_fetch"`
	AllowPlaintextAuth bool          `yaml:"allow_plaintext_auth"`
	AllowWeakTLS       bool          `yaml:"allow_weak_tls"`
	Strict             bool          `yaml:"strict"` // warnings fail the probe
	Credentials        `yaml:",inline"`
	// Users holds credentials per target user, for modules that probe
	// several accounts; a user not listed falls back to the module's own.
	Users map[string]*Credentials `yaml:"users"`

	name    string
	tlsSet  bool // tls: given, so a target URL's scheme must agree
	tlsMode prober.TLSMode
	roots   *x509.CertPool
}

// Credentials name where a secret lives, never the secret itself.
type Credentials struct {
	PasswordFile string `yaml:"password_file"`
	PasswordEnv  string `yaml:"password_env"`
	TokenFile    string `yaml:"token_file"`
	TokenEnv     string `yaml:"token_env"`
	TokenCmd     string `yaml:"token_cmd"`
}

func (c Credentials) empty() bool { return c == Credentials{} }

// LoadConfig reads and checks the file at path.
func LoadConfig(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseConfig(f, os.Getenv)
}

// ParseConfig parses and checks a configuration; env resolves
// password_env and token_env for the check that they are set.
func ParseConfig(r io.Reader, env func(string) string) (*Config, error) {
	b, err := io.ReadAll(io.LimitReader(r, 4<<20))
	if err != nil {
		return nil, err
	}
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("the file is empty: it needs a modules: section")
		}
		return nil, yamlError(err)
	}
	if len(c.Modules) == 0 {
		return nil, errors.New("no modules: define at least one in the modules section")
	}
	for name, m := range c.Modules {
		if m == nil {
			m = &Module{}
			c.Modules[name] = m
		}
		m.name = name
		if err := m.check(env); err != nil {
			return nil, fmt.Errorf("module %q: %w", name, err)
		}
	}
	return &c, nil
}

// ModuleNames returns the module names, sorted.
func (c *Config) ModuleNames() []string {
	names := make([]string, 0, len(c.Modules))
	for n := range c.Modules {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (m *Module) check(env func(string) string) error {
	m.tlsSet = m.TLS != ""
	if !m.tlsSet {
		m.TLS = string(prober.TLSImplicit)
	}
	mode, err := prober.ParseTLSMode(m.TLS)
	if err != nil {
		return fmt.Errorf("tls: %w", err)
	}
	m.tlsMode = mode
	if m.Port < 0 || m.Port > 65535 {
		return fmt.Errorf("port %d out of range: use 1-65535", m.Port)
	}
	if m.Auth != "" {
		if _, ok := authmech.Lookup(strings.ToLower(m.Auth)); !ok {
			return fmt.Errorf("auth: unknown mechanism %q: use one of %s", m.Auth, strings.Join(authmech.Names(), ", "))
		}
	}
	if m.QuitAfter != "" {
		if err := prober.ValidateQuitAfter(m.QuitAfter); err != nil {
			return fmt.Errorf("quit_after: %w", err)
		}
	}
	for _, d := range []struct {
		key string
		v   time.Duration
	}{{"timeout", m.Timeout}, {"step_timeout", m.StepTimeout}, {"slow", m.Slow}, {"expiry_warning", m.ExpiryWarning}} {
		if d.v < 0 {
			return fmt.Errorf("%s %s is negative", d.key, d.v)
		}
	}
	if m.CAFile != "" {
		pem, err := os.ReadFile(m.CAFile)
		if err != nil {
			return fmt.Errorf("ca_file: %w", err)
		}
		m.roots = x509.NewCertPool()
		if !m.roots.AppendCertsFromPEM(pem) {
			return fmt.Errorf("ca_file %s holds no PEM certificate", m.CAFile)
		}
	}
	if err := m.Credentials.check(env); err != nil {
		return err
	}
	for user, c := range m.Users {
		if c == nil || c.empty() {
			return fmt.Errorf("users: %q has no credentials: give password_file, password_env, token_file, token_env or token_cmd", user)
		}
		if err := c.check(env); err != nil {
			return fmt.Errorf("users: %q: %w", user, err)
		}
	}
	return nil
}

// check refuses two sources of one secret and, so that a typo shows at
// load rather than at the first scrape, an unset variable or unreadable
// file. The secrets are read again at every probe: they may rotate.
func (c Credentials) check(env func(string) string) error {
	if c.PasswordFile != "" && c.PasswordEnv != "" {
		return errors.New("both password_file and password_env: keep one")
	}
	if n := btoi(c.TokenFile != "") + btoi(c.TokenEnv != "") + btoi(c.TokenCmd != ""); n > 1 {
		return errors.New("more than one of token_file, token_env and token_cmd: keep one")
	}
	for _, e := range []struct{ key, name string }{{"password_env", c.PasswordEnv}, {"token_env", c.TokenEnv}} {
		if e.name != "" && env(e.name) == "" {
			return fmt.Errorf("%s: the environment variable %s is not set", e.key, e.name)
		}
	}
	for _, f := range []struct{ key, path string }{{"password_file", c.PasswordFile}, {"token_file", c.TokenFile}} {
		if f.path == "" {
			continue
		}
		fh, err := os.Open(f.path)
		if err != nil {
			return fmt.Errorf("%s: %w", f.key, err)
		}
		fh.Close()
	}
	return nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// unknownField is yaml.v3's KnownFields error, one per line.
var unknownField = regexp.MustCompile(`line (\d+): field (\S+) not found in type (\S+)`)

// yamlError makes yaml.v3's error one line, and for an unknown key names
// the valid ones.
func yamlError(err error) error {
	if m := unknownField.FindStringSubmatch(err.Error()); m != nil {
		return fmt.Errorf("line %s: unknown key %q: valid keys are %s", m[1], m[2], strings.Join(keysOf(m[3]), ", "))
	}
	msg := strings.Join(strings.Fields(strings.TrimPrefix(err.Error(), "yaml: ")), " ")
	return errors.New(strings.Replace(msg, "unmarshal errors: ", "", 1))
}

// keysOf lists the YAML keys of the named configuration type.
func keysOf(typeName string) []string {
	var t reflect.Type
	switch typeName {
	case "exporter.Config":
		t = reflect.TypeFor[Config]()
	case "exporter.Credentials":
		t = reflect.TypeFor[Credentials]()
	default:
		t = reflect.TypeFor[Module]()
	}
	return yamlKeys(t)
}

func yamlKeys(t reflect.Type) []string {
	var keys []string
	for f := range t.Fields() {
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		switch {
		case opts == "inline":
			keys = append(keys, yamlKeys(f.Type)...)
		case name != "" && name != "-":
			keys = append(keys, name)
		}
	}
	return keys
}
