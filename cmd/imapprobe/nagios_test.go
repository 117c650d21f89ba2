package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

const checkIMAPPath = "/usr/lib/nagios/plugins/check_imap"

// TestNagiosOutput: the status line and perfdata in the monitoring-plugins
// format, and the state as exit code, for each kind of outcome.
func TestNagiosOutput(t *testing.T) {
	t.Parallel()
	healthy := fake(t)
	slow := fake(t, "delay:SELECT|EXAMINE=300ms")
	expired := fake(t, "cert:expired")
	refused := refusedURL(t)
	ca := caBundle(t, healthy, slow, expired)
	step := `=\d+\.\d{6}s;;;0`
	cases := []struct {
		name string
		args []string
		code int
		want string // a regexp for the whole stdout
	}{
		{"ok", []string{healthy.URL()}, 0, `^IMAP OK - ` + regexp.QuoteMeta(healthy.URL()) + ` \(TLS implicit\): session OK up to logout in \d+\.\d{6}s \| ` +
			`resolve` + step + ` connect` + step + ` tls` + step + ` greeting` + step + ` capability` + step + ` auth` + step +
			` list` + step + ` select` + step + ` fetch` + step + ` logout` + step + ` time` + step + ` cert_days=36[45];14:;7:;0\n$`},
		{"quit after tls", []string{"--quit-after", "tls", healthy.URL()}, 0, `^IMAP OK - .*: session OK up to tls in \S+ \| resolve` + step + ` connect` + step + ` tls` + step + ` time` + step + ` cert_days=36[45];14:;7:;0\n$`},
		{"slow step", []string{"--slow", "100ms", slow.URL()}, 1, `^IMAP WARNING - .*: OK with warnings mailbox\.slow in \S+ \| .* select=0\.[3-9]\d{5}s;;;0 .*\n$`},
		{"cert within warn-days", []string{"--warn-days", "400", healthy.URL()}, 1, `^IMAP WARNING - .*: OK with warnings tls\.cert_expiring in .* cert_days=36[45];400:;7:;0\n$`},
		{"cert within crit-days", []string{"--warn-days", "400", "--crit-days", "380", healthy.URL()}, 2, `^IMAP CRITICAL - .*: OK with warnings tls\.cert_expiring .* cert_days=36[45];400:;380:;0\n$`},
		{"expired", []string{expired.URL()}, 2, `^IMAP CRITICAL - .*: tls\.cert_expired at tls: the server certificate has expired \| resolve` + step + ` connect` + step + ` tls` + step + ` time` + step + ` cert_days=-1;14:;7:;0\n$`},
		{"refused", []string{refused}, 2, `^IMAP CRITICAL - .*: tcp\.refused at connect: .* \| resolve` + step + ` connect` + step + ` time` + step + `\n$`},
		{"batch", []string{healthy.URL(), refused}, 2, `^IMAP CRITICAL - 1 of 2 targets OK: ` + regexp.QuoteMeta(refused) + ` \(TLS implicit\): tcp\.refused at connect: [^|]* \| 1_resolve` + step + ` .* 1_cert_days=36[45];14:;7:;0 2_resolve` + step + ` 2_connect` + step + ` 2_time` + step + `\n$`},
		{"bad flag", []string{"--bogus", healthy.URL()}, 3, `^IMAP UNKNOWN - unknown flag --bogus \(see imapprobe --help\)\n$`},
		{"bad days", []string{"--crit-days", "20", healthy.URL()}, 3, `^IMAP UNKNOWN - --warn-days 14 --crit-days 20: want 0 <= crit-days <= warn-days\n$`},
		{"nagios and json", []string{"--json", healthy.URL()}, 3, `^IMAP UNKNOWN - --format nagios and --json exclude each other: pick one\n$`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := invoke(append([]string{"--format", "nagios", "--ca-file", ca}, c.args...), pwEnv)
			if r.code != c.code || !regexp.MustCompile(c.want).MatchString(r.stdout) {
				t.Errorf("exit %d, stdout %q\nwant exit %d and %s", r.code, r.stdout, c.code, c.want)
			}
			if strings.Contains(r.stdout+r.stderr, fakePassword) {
				t.Error("the output holds the password")
			}
		})
	}
	// no credentials: bad input, so UNKNOWN too
	r := invoke([]string{"--format=nagios", healthy.URL()}, nil)
	if r.code != 3 || !strings.HasPrefix(r.stdout, "IMAP UNKNOWN - no password or token") {
		t.Errorf("without credentials: exit %d, %q; want 3 and UNKNOWN", r.code, r.stdout)
	}
	// the default exit codes stay as they were
	if r := invoke([]string{"--ca-file", ca, expired.URL()}, pwEnv); r.code != 4 {
		t.Errorf("without --format nagios an expired certificate exits %d, want 4", r.code)
	}
}

// TestNagiosAgainstCheckIMAP runs Debian's check_imap and imapprobe
// --format nagios against the same faults and compares their states.
func TestNagiosAgainstCheckIMAP(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(checkIMAPPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing: integration/realservers/setup.sh installs it (Debian package monitoring-plugins-standard)", checkIMAPPath)
		}
		t.Skipf("%s is missing: install it with apt-get install monitoring-plugins-standard", checkIMAPPath)
	}
	cases := []struct {
		name      string
		fault     string // "" for none; "refused" for a closed port
		checkIMAP int
		imapprobe int
		why       string
	}{
		{"healthy", "", 0, 0, "both OK"},
		{"refused", "refused", 2, 2, "both CRITICAL"},
		{"expired cert", "cert:expired", 2, 2, "both CRITICAL: check_imap -D checks the expiry"},
		{"expiring in 3 days", "cert:expiring", 2, 2, "both CRITICAL: 3 days is under -D 14,7's 7 and --crit-days 7"},
		// check_imap only compares the greeting with "* OK" and answers a
		// mismatch with WARNING (its --mismatch default); imapprobe cannot
		// talk IMAP to a POP3 server at all, a failure: CRITICAL.
		{"bad greeting", "greeting:pop3", 1, 2, "check_imap warns on an unexpected greeting; imapprobe fails at greeting"},
		// check_imap never logs in (it sends nothing but LOGOUT), so it
		// cannot see a refused login; imapprobe's OK means login was tested.
		{"login refused", "reply:LOGIN|AUTHENTICATE=NO [AUTHENTICATIONFAILED] Authentication failed.", 0, 2, "check_imap does not log in"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var url, ca string
			if c.fault == "refused" {
				url, ca = refusedURL(t), caFile(t)
			} else {
				var specs []string
				if c.fault != "" {
					specs = append(specs, c.fault)
				}
				srv := fake(t, specs...)
				url, ca = srv.URL(), caBundle(t, srv)
			}
			hostPort := strings.TrimSuffix(strings.TrimPrefix(url, "imaps://alice@"), "/INBOX")
			host, port, _ := strings.Cut(hostPort, ":")
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, checkIMAPPath, "-H", host, "-p", port, "-S", "-D", "14,7", "-t", "10").CombinedOutput()
			code := 0
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				code = exit.ExitCode()
			} else if err != nil {
				t.Fatalf("check_imap: %v", err)
			}
			r := invoke([]string{"--format", "nagios", "--warn-days", "14", "--crit-days", "7", "--ca-file", ca, url}, pwEnv)
			if code != c.checkIMAP || r.code != c.imapprobe {
				t.Errorf("check_imap %d, imapprobe %d; want %d, %d (%s)\ncheck_imap: %simapprobe: %s%s", code, r.code, c.checkIMAP, c.imapprobe, c.why, out, r.stdout, r.stderr)
			}
			if want := "IMAP " + nagiosNames[c.imapprobe] + " - "; !strings.HasPrefix(r.stdout, want) {
				t.Errorf("imapprobe said %q, want it to start with %q", r.stdout, want)
			}
			if strings.Contains(r.stdout+r.stderr, fakePassword) {
				t.Error("the output holds the password")
			}
		})
	}
}
