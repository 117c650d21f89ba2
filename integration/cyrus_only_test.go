package integration

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/faults"
	"github.com/imapprobe/imapprobe/integration/realservers"
	"github.com/imapprobe/imapprobe/prober"
)

// Accounts and texts of the Cyrus-only situations.
const (
	deniedUser      = "denied"
	deniedPassword  = "denied-pw-5Hs"
	noInboxUser     = "noinbox"
	noInboxPassword = "noinbox-pw-8Lw"
	denyMessage     = "IMAP access is suspended for this account"
	shutdownMessage = "Down for maintenance until 18:00 UTC"
)

// cyrusOnlySituation is a failure only Cyrus of the two real servers
// shows, with how to set Cyrus up for it and the fault that makes the fake
// show it.
type cyrusOnlySituation struct {
	sit situation
	// instance picks the Cyrus instance: "" the shared one (deny and no
	// INBOX), or one of its own.
	instance string
	// spec is the fault that gives the fake Cyrus's answer, in its words.
	spec string
	// detail must appear in the diagnosis's detail, on Cyrus and the fake.
	detail string
}

func cyrusOnlySituations() []cyrusOnlySituation {
	return []cyrusOnlySituation{
		{
			// cyr_deny: Cyrus's SASL proxy policy refuses the authorization
			// ("SASL(-14): authorization failure" in its log); the client
			// gets "NO authorization failure", with no response code.
			sit:    situation{name: "cyr_deny", tls: prober.TLSImplicit, onTLSPort: true, user: deniedUser, password: deniedPassword, step: "auth", code: "auth.authorization_failed"},
			spec:   "reply:AUTHENTICATE=NO authorization failure",
			detail: `server said: "NO authorization failure"`,
		},
		{
			// msg/shutdown: Cyrus 3.6 checks it only in a logged-in
			// session, before each command, so the greeting and the login
			// succeed and the BYE comes after the login: the probe's next
			// step (LIST) sees the connection end, with the ALERT quoted.
			sit:      situation{name: "shutdown-file", tls: prober.TLSImplicit, onTLSPort: true, password: realservers.DefaultPassword, step: "list", code: "list.dropped"},
			instance: "shutdown",
			spec:     "bye:LIST=[ALERT] " + shutdownMessage,
			detail:   "server said: * BYE [ALERT] " + shutdownMessage,
		},
		{
			// No autocreate: the account logs in, LIST is empty, and
			// EXAMINE INBOX gets "NO Mailbox does not exist".
			sit:    situation{name: "no-inbox", tls: prober.TLSImplicit, onTLSPort: true, user: noInboxUser, password: noInboxPassword, step: "select", code: "mailbox.not_found"},
			spec:   "reply:EXAMINE=NO Mailbox does not exist",
			detail: `server said: "NO Mailbox does not exist"`,
		},
		{
			// Without tls_server_cert Cyrus advertises no STARTTLS (and
			// would answer it "BAD Unrecognized command", cyrus_wire.txt):
			// the prober does not send it.
			sit:      situation{name: "starttls-without-tls", tls: prober.TLSStartTLS, password: realservers.DefaultPassword, step: "starttls", code: "starttls.unavailable"},
			instance: "notls",
			spec:     "caps:-STARTTLS",
			detail:   "STARTTLS is not among the capabilities: ",
		},
	}
}

// cyrusOnlyUsers are the default users and the two the shared instance
// denies or gives no mailbox.
func cyrusOnlyUsers() []realservers.User {
	return append(realservers.DefaultUsers(),
		realservers.User{Name: deniedUser, Password: deniedPassword, Mailboxes: []realservers.Mailbox{{Name: "INBOX", Messages: 1}}},
		realservers.User{Name: noInboxUser, Password: noInboxPassword})
}

// cyrusOnlySetups says how each Cyrus instance of the situations starts.
var cyrusOnlySetups = map[string]struct {
	cfg  func() realservers.Config
	opts realservers.CyrusOptions
}{
	"": {func() realservers.Config { return realservers.Config{Users: cyrusOnlyUsers()} },
		realservers.CyrusOptions{NoInbox: []string{noInboxUser}, Deny: map[string]string{deniedUser: denyMessage}}},
	"shutdown": {func() realservers.Config { return realservers.Config{} }, realservers.CyrusOptions{Shutdown: shutdownMessage}},
	"notls":    {func() realservers.Config { return realservers.Config{Users: []realservers.User{}} }, realservers.CyrusOptions{NoTLS: true}},
}

// TestCyrusOnlySituations runs the failures Cyrus shows and Dovecot's set-up
// does not (an account cyr_deny denies, the maintenance shutdown file, an
// account without INBOX, no TLS configured) against Cyrus and against the
// fake, in each persona, with the fault that gives Cyrus's answer; each must
// give the exact step, code and detail.
func TestCyrusOnlySituations(t *testing.T) {
	t.Parallel()
	sits := cyrusOnlySituations()
	t.Run("cyrus", func(t *testing.T) {
		t.Parallel()
		l, err := realservers.NewCyrus()
		realservers.Need(t, err)
		servers := map[string]server{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for name, setup := range cyrusOnlySetups {
			wg.Go(func() {
				s := startCyrusWith(t, l, setup.cfg(), setup.opts)
				mu.Lock()
				defer mu.Unlock()
				servers[name] = s
			})
		}
		wg.Wait()
		if t.Failed() {
			return
		}
		runCyrusOnly(t, sits, func(c cyrusOnlySituation) server { return servers[c.instance] })
	})
	for _, persona := range []fakeserver.Persona{fakeserver.PersonaGoImap, fakeserver.PersonaCyrus} {
		t.Run("fake-"+persona.String(), func(t *testing.T) {
			t.Parallel()
			runCyrusOnly(t, sits, func(c cyrusOnlySituation) server {
				set, err := faults.ParseAll([]string{c.spec})
				if err != nil {
					t.Fatal(err)
				}
				return startFake(t, c.sit, persona, fakeserver.WithUser(deniedUser, deniedPassword),
					fakeserver.WithUser(noInboxUser, noInboxPassword), fakeserver.WithFaults(set...))
			})
		})
	}
}

// runCyrusOnly probes each situation at once and checks its outcome.
func runCyrusOnly(t *testing.T, sits []cyrusOnlySituation, serverFor func(cyrusOnlySituation) server) {
	reports := make([]*prober.Report, len(sits))
	var wg sync.WaitGroup
	for i, c := range sits {
		s := serverFor(c)
		wg.Go(func() { reports[i] = c.sit.probe(t, s) })
	}
	wg.Wait()
	for i, c := range sits {
		t.Run(c.sit.name, func(t *testing.T) {
			c.sit.check(t, reports[i])
			step := reports[i].Step(c.sit.step)
			if step == nil || step.Diagnosis == nil || !strings.Contains(step.Diagnosis.Detail, c.detail) {
				t.Errorf("%s: the %s step's detail lacks %q: %+v", c.sit.name, c.sit.step, c.detail, step)
			}
		})
	}
}

// startCyrusWith starts Cyrus with opts; it stops when t ends.
func startCyrusWith(t *testing.T, l *realservers.Cyrus, cfg realservers.Config, opts realservers.CyrusOptions) server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	inst, err := l.StartWith(ctx, cfg, opts)
	if err != nil {
		t.Errorf("start Cyrus (%+v): %v", opts, err)
		return nil
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("Cyrus log:\n%s", inst.Log())
		}
		if err := inst.Stop(); err != nil {
			t.Errorf("stop Cyrus: %v", err)
		}
	})
	return cyrusServer{dovecotServer{inst}}
}
