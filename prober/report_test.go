package prober

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"os"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/imapprobe/imapprobe/internal/wiretap"
	pt "github.com/imapprobe/imapprobe/prober/probertest"
)

// issueCodes are the codes issue 3 names; S.* are checked per step below.
var issueCodes = []Code{
	"dns.not_found", "dns.failure",
	"tcp.refused", "tcp.timeout", "tcp.unreachable", "tcp.reset",
	"tls.not_tls", "tls.handshake_failed", "tls.cert_expired", "tls.cert_not_yet_valid",
	"tls.cert_hostname_mismatch", "tls.cert_self_signed", "tls.cert_untrusted",
	"greeting.timeout", "greeting.closed", "greeting.bye", "greeting.malformed",
	"starttls.unavailable", "starttls.refused",
	"auth.login_disabled", "auth.mechanism_unsupported", "auth.failed", "auth.token_rejected",
	"auth.unavailable", "auth.expired", "auth.authorization_failed",
	"mailbox.not_found", "mailbox.no_permission", "mailbox.in_use", "mailbox.select_failed",
	"fetch.failed", "fetch.incomplete",
	"tls.cert_expiring", "tls.weak_version", "mailbox.read_only",
}

func TestCatalogIsComplete(t *testing.T) {
	t.Parallel()
	for _, code := range issueCodes {
		if _, ok := Lookup(code); !ok {
			t.Errorf("catalog lacks %s", code)
		}
	}
	for _, step := range Steps {
		for _, kind := range []string{"timeout", "slow"} {
			if _, ok := Lookup(genericCode(step, kind)); !ok {
				t.Errorf("catalog lacks %s.%s", area()[step], kind)
			}
		}
	}
	for _, step := range []string{StepCapability, StepStartTLS, StepAuth, StepList, StepSelect, StepFetch, StepLogout} {
		for _, kind := range []string{"dropped", "bad", "malformed"} {
			if _, ok := Lookup(genericCode(step, kind)); !ok {
				t.Errorf("catalog lacks %s.%s", area()[step], kind)
			}
		}
	}
	wantExit := map[string]int{"dns": 3, "tcp": 3, "tls": 4, "greeting": 5, "capability": 5, "starttls": 5, "auth": 6, "list": 7, "mailbox": 7, "fetch": 8, "logout": 9}
	cat := Catalog()
	if len(cat) != len(catalog()) {
		t.Fatalf("Catalog() has %d entries, map %d", len(cat), len(catalog()))
	}
	for i, c := range cat {
		if c.Summary == "" || c.Cause == "" || c.Fix == "" || c.Step == "" {
			t.Errorf("%s: incomplete entry %+v", c.Code, c)
		}
		prefix, kind, _ := strings.Cut(string(c.Code), ".")
		want := wantExit[prefix]
		switch {
		case c.Severity == SeverityWarning:
			want = ExitWarnings
		case (kind == "dropped" || kind == "bad" || kind == "malformed") && prefix != "greeting":
			want = ExitMisbehaved
		case c.Code == "auth.no_credentials":
			want = ExitUsage // the caller's mistake, not the server's
		case c.Code == "auth.weak_tls":
			want = ExitTLS // the server's TLS configuration is at fault
		}
		if c.ExitCode != want {
			t.Errorf("%s: exit %d, want %d", c.Code, c.ExitCode, want)
		}
		if i > 0 && slices.Index(Steps, cat[i-1].Step) > slices.Index(Steps, c.Step) {
			t.Errorf("catalog not in step order at %s", c.Code)
		}
	}
}

func TestReportAccessors(t *testing.T) {
	t.Parallel()
	r := &Report{Steps: []Step{
		{Name: StepTLS, Status: StatusWarn, Warnings: []Diagnosis{{Code: "tls.cert_expiring"}}},
		{Name: StepAuth, Status: StatusFail, Warnings: []Diagnosis{{Code: "auth.slow"}}, Diagnosis: &Diagnosis{Code: "auth.failed"}},
		{Name: StepList, Status: StatusSkipped},
	}}
	if step, code := r.Failure(); step != StepAuth || code != "auth.failed" {
		t.Errorf("Failure() = %s, %s", step, code)
	}
	if got, want := r.Codes(), []Code{"tls.cert_expiring", "auth.slow", "auth.failed"}; !slices.Equal(got, want) {
		t.Errorf("Codes() = %v, want %v", got, want)
	}
	if r.ExitCode(false) != ExitAuth || r.ExitCode(true) != ExitAuth {
		t.Errorf("exit codes %d %d", r.ExitCode(false), r.ExitCode(true))
	}
	warnOnly := &Report{Steps: r.Steps[:1]}
	if warnOnly.ExitCode(false) != ExitOK || warnOnly.ExitCode(true) != ExitWarnings {
		t.Errorf("warning exit codes %d %d", warnOnly.ExitCode(false), warnOnly.ExitCode(true))
	}
	if s, c := (&Report{}).Failure(); s != "" || c != "" {
		t.Errorf("empty report failure %q %q", s, c)
	}
}

func TestParseURL(t *testing.T) {
	t.Parallel()
	good := map[string]Target{
		"imaps://alice@mail.example.com/INBOX":        {Host: "mail.example.com", Port: 993, TLS: TLSImplicit, User: "alice", Mailbox: "INBOX"},
		"imap://alice%40example.com@mail.example.com": {Host: "mail.example.com", Port: 143, TLS: TLSStartTLS, User: "alice@example.com"},
		"IMAPS://mail.example.com:1993/Sent%20Items":  {Host: "mail.example.com", Port: 1993, TLS: TLSImplicit, Mailbox: "Sent Items"},
		"imaps://mail.example.com/%23shared/x":        {Host: "mail.example.com", Port: 993, TLS: TLSImplicit, Mailbox: "#shared/x"},
		"imaps://bob@[2001:db8::1]:993/Archive/2024":  {Host: "2001:db8::1", Port: 993, TLS: TLSImplicit, User: "bob", Mailbox: "Archive/2024"},
	}
	for raw, want := range good {
		got, err := ParseURL(raw)
		if err != nil || got != want {
			t.Errorf("ParseURL(%q) = %+v, %v; want %+v", raw, got, err, want)
		}
	}
	bad := map[string]string{
		"mail.example.com":                   "not a URL",
		"pop3://mail.example.com":            "unsupported URL scheme",
		"imaps://alice:pw@mail.example.com":  "password in URL refused",
		"imaps:///INBOX":                     "no host",
		"imaps://mail.example.com:0/":        "bad port",
		"imaps://mail.example.com:/":         "empty port",
		"imaps://mail.example.com/INBOX?x=1": "unexpected query",
		"imaps://mail.example.com/#shared/x": "percent-encoded (%3F, %23), or given with --mailbox",
		"imaps://mail.exa mple.com/":         "bad URL",
	}
	for raw, want := range bad {
		_, err := ParseURL(raw)
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseURL(%q) error = %v, want one line containing %q", raw, err, want)
		}
		if err != nil && strings.Contains(err.Error(), ":pw@") {
			t.Errorf("error quotes the password: %v", err)
		}
	}
}

func TestClassifyDial(t *testing.T) {
	t.Parallel()
	op := func(errno syscall.Errno) error {
		return &net.OpError{Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: errno}}
	}
	for err, want := range map[error]Code{
		op(syscall.ECONNREFUSED):                    "tcp.refused",
		op(syscall.ECONNRESET):                      "tcp.reset",
		op(syscall.ETIMEDOUT):                       "tcp.timeout",
		op(syscall.EHOSTUNREACH):                    "tcp.unreachable",
		op(syscall.ENETUNREACH):                     "tcp.unreachable",
		context.DeadlineExceeded:                    "tcp.timeout",
		fmt.Errorf("x: %w", os.ErrDeadlineExceeded): "tcp.timeout",
	} {
		if got := classifyDial(err, false); got != want {
			t.Errorf("classifyDial(%v) = %s, want %s", err, got, want)
		}
	}
}

func TestInjectedNetworkFailures(t *testing.T) {
	t.Parallel()
	cases := []struct {
		code Code
		step string
		mod  func(*Options)
	}{
		{"dns.timeout", StepResolve, func(o *Options) {
			o.LookupHost = func(ctx context.Context, _ string) ([]string, error) { <-ctx.Done(); return nil, ctx.Err() }
		}},
		{"tcp.reset", StepConnect, func(o *Options) {
			o.DialContext = func(context.Context, string, string) (net.Conn, error) {
				return nil, &net.OpError{Op: "dial", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNRESET}}
			}
		}},
		{"tcp.unreachable", StepConnect, func(o *Options) {
			o.DialContext = func(context.Context, string, string) (net.Conn, error) {
				return nil, &net.OpError{Op: "dial", Err: &os.SyscallError{Syscall: "connect", Err: syscall.EHOSTUNREACH}}
			}
		}},
	}
	for _, tc := range cases {
		t.Run(string(tc.code), func(t *testing.T) {
			t.Parallel()
			o := baseOptions(t)
			o.StepTimeout = 300 * time.Millisecond
			o.LookupHost = func(context.Context, string) ([]string, error) { return []string{"192.0.2.1", "192.0.2.2"}, nil }
			tc.mod(&o)
			r := Probe(context.Background(), Target{Host: "mail.example.com", Port: 993, TLS: TLSImplicit}, o)
			assertFailure(t, r, tc.step, tc.code)
			if tc.step == StepConnect {
				if cd := r.Step(StepConnect).Details.(*ConnectDetails); len(cd.Attempts) != 2 {
					t.Errorf("attempts %+v, want both addresses tried", cd.Attempts)
				}
			}
		})
	}
}

func TestWeakTLSVersion(t *testing.T) {
	t.Parallel()
	cfg := &tls.Config{Certificates: []tls.Certificate{pt.PKI(t).Good}, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}
	srv := (&pt.Server{Pass: testPass, Implicit: cfg}).Start(t)
	r := Probe(context.Background(), target(srv, TLSImplicit), baseOptions(t))
	assertFailure(t, r, StepAuth, "auth.weak_tls")
	if r.ExitCode(false) != ExitTLS {
		t.Errorf("exit %d, want %d", r.ExitCode(false), ExitTLS)
	}
	if w := r.Step(StepTLS).Warnings; len(w) != 1 || w[0].Code != "tls.weak_version" {
		t.Errorf("tls warnings %+v, want tls.weak_version", w)
	}
	o := baseOptions(t)
	o.AllowWeakTLS = true
	r = Probe(context.Background(), target(srv, TLSImplicit), o)
	assertOK(t, r, "tls.weak_version")
}

func TestOptionsNeverPrintSecrets(t *testing.T) {
	t.Parallel()
	o := Options{Password: "pw-canary-1", Token: "tok-canary-2", Auth: "plain"}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("probe", "options", o)
	for _, out := range []string{fmt.Sprint(o), fmt.Sprintf("%+v %#v %s", o, o, o), fmt.Sprintf("%v", &o), logged.String()} {
		if strings.Contains(out, "canary") || !strings.Contains(out, "[redacted]") {
			t.Errorf("printed options: %s", out)
		}
	}
}

// TestSchemaDocMatchesTags keeps the JSON layout in the package doc
// (report.go) in step with the struct tags: every field of Report, Step,
// Diagnosis, Target and wiretap.Line is named there, and each step's
// details list names exactly the fields of its *Details type, in order.
func TestSchemaDocMatchesTags(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("report.go")
	if err != nil {
		t.Fatal(err)
	}
	doc, _, _ := strings.Cut(string(src), "package prober")
	doc = strings.ReplaceAll(doc, "// ", "")
	doc = strings.ReplaceAll(doc, "//", "")
	for _, v := range []any{Report{}, Step{}, Diagnosis{}, Target{}, wiretap.Line{}} {
		for _, k := range jsonKeys(reflect.TypeOf(v)) {
			if !strings.Contains(doc, `"`+k+`"`) {
				t.Errorf("package doc does not name %T field %q", v, k)
			}
		}
	}
	_, details, _ := strings.Cut(doc, "Details per step:")
	details = strings.Join(strings.Fields(details), " ")
	types := map[string]reflect.Type{
		"ResolveDetails": reflect.TypeOf(ResolveDetails{}), "ConnectDetails": reflect.TypeOf(ConnectDetails{}),
		"TLSDetails": reflect.TypeOf(TLSDetails{}), "GreetingDetails": reflect.TypeOf(GreetingDetails{}),
		"CapabilityDetails": reflect.TypeOf(CapabilityDetails{}), "AuthDetails": reflect.TypeOf(AuthDetails{}),
		"ListDetails": reflect.TypeOf(ListDetails{}), "SelectDetails": reflect.TypeOf(SelectDetails{}),
		"FetchDetails": reflect.TypeOf(FetchDetails{}),
		"attempts":     reflect.TypeOf(Attempt{}), "chain": reflect.TypeOf(CertSummary{}),
	}
	for name, typ := range types {
		i := strings.Index(details, name+" {")
		if name == "attempts" || name == "chain" {
			i = strings.Index(details, name+"[{")
		}
		if i < 0 {
			t.Errorf("package doc has no field list for %s", name)
			continue
		}
		list := details[strings.IndexByte(details[i:], '{')+i+1:]
		depth, end := 0, 0
		var top strings.Builder
		for end = 0; end < len(list) && (depth > 0 || list[end] != '}'); end++ {
			switch list[end] {
			case '[':
				depth++
			case ']':
				depth--
			}
			if depth == 0 && list[end] != ']' {
				top.WriteByte(list[end])
			}
		}
		var got []string
		for _, f := range strings.Split(top.String(), ",") {
			got = append(got, strings.TrimSpace(f))
		}
		if want := jsonKeys(typ); !slices.Equal(got, want) {
			t.Errorf("package doc lists %s as %v, tags say %v", name, got, want)
		}
	}
	if !strings.Contains(details, "StartTLSDetails (TLSDetails plus capabilities_after)") ||
		!slices.Equal(jsonKeys(reflect.TypeOf(StartTLSDetails{})), append(jsonKeys(reflect.TypeOf(TLSDetails{})), "capabilities_after")) {
		t.Errorf("StartTLSDetails is not TLSDetails plus capabilities_after, as the package doc says")
	}
}

// jsonKeys returns the JSON names of typ's exported fields, embedded
// structs flattened.
func jsonKeys(typ reflect.Type) []string {
	var keys []string
	for f := range typ.Fields() {
		if f.Anonymous {
			keys = append(keys, jsonKeys(f.Type)...)
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.IsExported() && name != "-" {
			keys = append(keys, name)
		}
	}
	return keys
}
