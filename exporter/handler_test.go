package exporter

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/faults"
)

// probeConfig has a module per way of authenticating; LOGIN is forced
// where the fault replaces LOGIN's reply.
const probeConfig = `
modules:
  default:
    tls: implicit
    ca_file: $DIR/ca.pem
    password_file: $DIR/pw
  login:
    tls: implicit
    auth: login
    ca_file: $DIR/ca.pem
    password_env: CANARY_PW
  token:
    auth: xoauth2
    ca_file: $DIR/ca.pem
    token_env: CANARY_TOKEN
  starttls:
    tls: starttls
    ca_file: $DIR/ca.pem
    password_file: $DIR/pw
  capability:
    tls: implicit
    ca_file: $DIR/ca.pem
    quit_after: capability
`

func probePath(target, module string) string {
	return "/probe?" + url.Values{"target": {target}, "module": {module}}.Encode()
}

// TestProbeMetrics scrapes /probe for a healthy and a faulted fake and
// checks every sample line that does not carry a timing.
func TestProbeMetrics(t *testing.T) {
	t.Parallel()
	healthy := fakeserver.New(t, fakeserver.WithUser(canaryUser, canaryPassword), fakeserver.WithToken(canaryUser, canaryToken))
	faulted := fakeserver.New(t, fakeserver.WithUser(canaryUser, canaryPassword),
		fakeserver.WithFaults(faults.MustParse("reply:LOGIN=NO [AUTHENTICATIONFAILED] nope")))
	starttls := fakeserver.New(t, fakeserver.WithMode(fakeserver.ModeStartTLS), fakeserver.WithBothPorts(), fakeserver.WithUser(canaryUser, canaryPassword))
	env := func(k string) string {
		return map[string]string{"CANARY_PW": canaryPassword, "CANARY_TOKEN": canaryToken}[k]
	}
	r := newRig(t, slices.Concat(healthy.CACertPEM(), faulted.CACertPEM(), starttls.CACertPEM()), probeConfig, Options{Env: env})
	full := []string{"resolve", "connect", "tls", "greeting", "capability", "auth", "list", "select", "fetch", "logout"}
	stepLines := func(steps []string, failed string) []string {
		var out []string
		for _, s := range steps {
			v := "1"
			if s == failed {
				v = "0"
			}
			out = append(out, fmt.Sprintf("imapprobe_step_success{step=%q} %s", s, v))
		}
		return out
	}
	// what every probe that completed the handshake says
	tlsLines := func(srv *fakeserver.Server) []string {
		return []string{"probe_ip_protocol 4", `probe_tls_version_info{version="TLS 1.3"} 1`,
			"probe_ssl_earliest_cert_expiry " + strconv.FormatFloat(float64(leafExpiry(t, srv).Unix()), 'g', -1, 64)}
	}
	common, faultedTLS := tlsLines(healthy), tlsLines(faulted)
	// STARTTLS: the tls step is not used, so it has no series at all
	viaStartTLS := []string{"resolve", "connect", "greeting", "capability", "starttls", "auth", "list", "select", "fetch", "logout"}
	cases := []struct {
		name, target, module string
		want                 []string
		steps                []string // with a duration series
	}{
		{"healthy password", healthy.URL(), "default",
			append(append([]string{"probe_success 1", "imapprobe_mailbox_messages 3"}, common...), stepLines(full, "")...), full},
		{"healthy token", healthy.URL(), "token",
			append(append([]string{"probe_success 1", "imapprobe_mailbox_messages 3"}, common...), stepLines(full, "")...), full},
		{"healthy starttls", starttls.URL(), "starttls",
			append(append([]string{"probe_success 1", "imapprobe_mailbox_messages 3"}, tlsLines(starttls)...), stepLines(viaStartTLS, "")...), viaStartTLS},
		{"quit after capability", "127.0.0.1:" + strings.Split(healthy.TLSAddr(), ":")[1], "capability",
			append(append([]string{"probe_success 1"}, common...), stepLines(full[:5], "")...), full[:5]},
		{"auth fault", faulted.URL(), "login",
			append(append([]string{"probe_success 0",
				`imapprobe_diagnosis_info{code="auth.failed",severity="error",step="auth"} 1`}, faultedTLS...),
				stepLines(full[:6], "auth")...), full[:6]},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			code, body := r.get(t, "GET", probePath(c.target, c.module), nil)
			if code != 200 {
				t.Fatalf("status %d: %s", code, body)
			}
			assertNoSecret(t, "/probe", body)
			var got, timed []string
			for _, l := range samples(body) {
				switch {
				case strings.HasPrefix(l, "imapprobe_step_duration_seconds{"):
					timed = append(timed, strings.Split(strings.TrimPrefix(l, `imapprobe_step_duration_seconds{step="`), `"`)[0])
				case strings.HasPrefix(l, "probe_duration_seconds "), strings.HasPrefix(l, "probe_dns_lookup_time_seconds "):
				default:
					got = append(got, l)
				}
			}
			want := slices.Clone(c.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("samples:\n%s\nwant:\n%s\nbody:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), body)
			}
			slices.Sort(timed)
			wantTimed := slices.Sorted(slices.Values(c.steps))
			if !slices.Equal(timed, wantTimed) {
				t.Errorf("steps with a duration: %v, want %v", timed, wantTimed)
			}
			for _, name := range []string{"probe_duration_seconds", "probe_dns_lookup_time_seconds"} {
				if !strings.Contains(body, "\n"+name+" ") {
					t.Errorf("no %s sample", name)
				}
			}
		})
	}
}

// TestWarningMetrics: a slow step passes with a warning series, unless
// the module is strict.
func TestWarningMetrics(t *testing.T) {
	t.Parallel()
	srv := fakeserver.New(t, fakeserver.WithUser(canaryUser, canaryPassword),
		fakeserver.WithFaults(faults.MustParse("delay:SELECT|EXAMINE=100ms")))
	r := newRig(t, srv.CACertPEM(), `
modules:
  lenient:
    ca_file: $DIR/ca.pem
    password_file: $DIR/pw
    slow: 50ms
  strict:
    ca_file: $DIR/ca.pem
    password_file: $DIR/pw
    slow: 50ms
    strict: true
`, Options{})
	for _, c := range []struct{ module, success string }{{"lenient", "1"}, {"strict", "0"}} {
		_, body := r.get(t, "GET", probePath(srv.URL(), c.module), nil)
		for _, want := range []string{
			"probe_success " + c.success,
			`imapprobe_diagnosis_info{code="mailbox.slow",severity="warning",step="select"} 1`,
			`imapprobe_step_success{step="select"} 1`,
			`imapprobe_step_success{step="logout"} 1`,
		} {
			if !slices.Contains(samples(body), want) {
				t.Errorf("%s: no %s in\n%s", c.module, want, body)
			}
		}
		if n := strings.Count(body, "\nimapprobe_diagnosis_info{"); n != 1 {
			t.Errorf("%s: %d diagnosis series, want 1:\n%s", c.module, n, body)
		}
	}
}
