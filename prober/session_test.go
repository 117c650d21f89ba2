package prober

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// raw returns a Raw script that writes the given bytes, then waits for the
// client to leave (or closes at once when close is true).
func rawScript(data string, close bool) func(net.Conn) {
	return func(c net.Conn) {
		_, _ = io.WriteString(c, data)
		if !close {
			silent(c)
		}
	}
}

// answer returns a handler that sends lines with TAG replaced by the tag.
func answer(lines ...string) handler {
	return func(c *conv, tag, _ string) bool {
		for _, l := range lines {
			c.send(strings.ReplaceAll(l, "TAG", tag))
		}
		return true
	}
}

// hangUp returns a handler that sends lines, then closes the connection.
func hangUp(lines ...string) handler {
	return func(c *conv, tag, args string) bool {
		answer(lines...)(c, tag, args)
		return false
	}
}

// stall never answers.
func stall(c *conv, _, _ string) bool {
	_, _ = io.Copy(io.Discard, c.br)
	return false
}

func TestDiagnoses(t *testing.T) {
	t.Parallel()
	type tc struct {
		code string
		step string
		srv  *imapServer
		mode TLSMode // default implicit
		mod  func(*Options)
	}
	tlsSrv := func(s *imapServer) *imapServer {
		s.Implicit = goodTLS(t)
		if s.Pass == "" {
			s.Pass = testPass
		}
		return s
	}
	short := func(o *Options) { o.StepTimeout = 400 * time.Millisecond }
	cases := []tc{
		// greeting
		{"greeting.timeout", StepGreeting, &imapServer{Raw: silent}, TLSNone, short},
		{"greeting.closed", StepGreeting, &imapServer{Raw: rawScript("", true)}, TLSNone, nil},
		{"greeting.bye", StepGreeting, &imapServer{Raw: rawScript("* BYE Too many connections\r\n", false)}, TLSNone, nil},
		{"greeting.malformed", StepGreeting, &imapServer{Raw: rawScript("+OK POP3 server ready\r\n", false)}, TLSNone, nil},
		{"greeting.malformed", StepGreeting, &imapServer{Raw: rawScript("220 mail.example.com ESMTP\r\n", false)}, TLSNone, nil},
		// capability
		{"capability.bad", StepCapability, tlsSrv(&imapServer{Handlers: map[string]handler{"CAPABILITY": answer("TAG BAD no")}}), "", nil},
		{"capability.malformed", StepCapability, tlsSrv(&imapServer{Handlers: map[string]handler{"CAPABILITY": answer("TAG OK but no data")}}), "", nil},
		{"capability.malformed", StepCapability, tlsSrv(&imapServer{Handlers: map[string]handler{"CAPABILITY": answer("X9 OK wrong tag")}}), "", nil},
		{"capability.dropped", StepCapability, tlsSrv(&imapServer{Handlers: map[string]handler{"CAPABILITY": hangUp("* BYE shutting down")}}), "", nil},
		{"capability.timeout", StepCapability, tlsSrv(&imapServer{Handlers: map[string]handler{"CAPABILITY": stall}}), "", short},
		// starttls
		{"starttls.unavailable", StepStartTLS, &imapServer{Pass: testPass}, TLSStartTLS, nil},
		{"starttls.unavailable", StepStartTLS, &imapServer{Greeting: "* PREAUTH hi"}, TLSStartTLS, nil},
		{"starttls.refused", StepStartTLS, &imapServer{StartTLS: goodTLS(t), Handlers: map[string]handler{"STARTTLS": answer("TAG NO TLS not configured")}}, TLSStartTLS, nil},
		{"starttls.bad", StepStartTLS, &imapServer{StartTLS: goodTLS(t), Handlers: map[string]handler{"STARTTLS": answer("TAG BAD what")}}, TLSStartTLS, nil},
		{"starttls.malformed", StepStartTLS, &imapServer{StartTLS: goodTLS(t), Handlers: map[string]handler{"STARTTLS": answer("TAG OK go", "* OK injected")}}, TLSStartTLS, nil},
		// auth
		{"auth.insecure_transport", StepAuth, &imapServer{Pass: testPass}, TLSNone, nil},
		{"auth.login_disabled", StepAuth, &imapServer{Caps: "IMAP4rev1 LOGINDISABLED"}, TLSNone, func(o *Options) { o.AllowPlaintextAuth = true }},
		{"auth.login_disabled", StepAuth, tlsSrv(&imapServer{Caps: "IMAP4rev1", Handlers: map[string]handler{"LOGIN": answer("TAG NO [PRIVACYREQUIRED] Plaintext authentication disallowed")}}), "", nil},
		{"auth.mechanism_unsupported", StepAuth, tlsSrv(&imapServer{Caps: "IMAP4rev1 AUTH=PLAIN"}), "", func(o *Options) { o.Auth = "xoauth2"; o.Token = "t0k" }},
		{"auth.failed", StepAuth, tlsSrv(&imapServer{Pass: "other"}), "", nil},
		{"auth.failed", StepAuth, tlsSrv(&imapServer{Caps: "IMAP4rev1", Handlers: map[string]handler{"LOGIN": answer("TAG NO Invalid credentials (Failure)")}}), "", nil},
		{"auth.token_rejected", StepAuth, tlsSrv(&imapServer{Token: "good", Caps: "IMAP4rev1 AUTH=XOAUTH2 SASL-IR"}), "", func(o *Options) { o.Token = "bad" }},
		{"auth.token_rejected", StepAuth, tlsSrv(&imapServer{Token: "good", Caps: "IMAP4rev1 AUTH=OAUTHBEARER SASL-IR"}), "", func(o *Options) { o.Token = "bad" }},
		{"auth.unavailable", StepAuth, tlsSrv(&imapServer{Handlers: map[string]handler{"AUTHENTICATE": answer("TAG NO [UNAVAILABLE] Temporary authentication failure.")}}), "", nil},
		{"auth.expired", StepAuth, tlsSrv(&imapServer{Handlers: map[string]handler{"AUTHENTICATE": answer("TAG NO [EXPIRED] Password expired")}}), "", nil},
		{"auth.authorization_failed", StepAuth, tlsSrv(&imapServer{Handlers: map[string]handler{"AUTHENTICATE": answer("TAG NO [AUTHORIZATIONFAILED] no")}}), "", nil},
		{"auth.authorization_failed", StepAuth, tlsSrv(&imapServer{Caps: "IMAP4rev1", Handlers: map[string]handler{"LOGIN": answer("TAG NO User is authenticated but not connected.")}}), "", nil},
		{"auth.bad", StepAuth, tlsSrv(&imapServer{Handlers: map[string]handler{"AUTHENTICATE": answer("TAG BAD Invalid arguments")}}), "", nil},
		{"auth.dropped", StepAuth, tlsSrv(&imapServer{Handlers: map[string]handler{"AUTHENTICATE": hangUp("* BYE Disconnected for inactivity.")}}), "", nil},
		{"auth.timeout", StepAuth, tlsSrv(&imapServer{Handlers: map[string]handler{"AUTHENTICATE": stall}}), "", short},
		{"auth.malformed", StepAuth, tlsSrv(&imapServer{Handlers: map[string]handler{"AUTHENTICATE": answer("TAG WHAT is this")}}), "", nil},
		// list
		{"list.failed", StepList, tlsSrv(&imapServer{Handlers: map[string]handler{"LIST": answer("TAG NO [SERVERBUG] broken")}}), "", nil},
		{"list.bad", StepList, tlsSrv(&imapServer{Handlers: map[string]handler{"LIST": answer("TAG BAD no")}}), "", nil},
		{"list.malformed", StepList, tlsSrv(&imapServer{Handlers: map[string]handler{"LIST": answer(`* LIST (\Noselect "/" INBOX`, "TAG OK")}}), "", nil},
		// select
		{"mailbox.not_found", StepSelect, tlsSrv(&imapServer{}), "", nil},
		{"mailbox.not_found", StepSelect, tlsSrv(&imapServer{Handlers: map[string]handler{"EXAMINE": answer("TAG NO Mailbox unknown")}}), "", nil},
		{"mailbox.no_permission", StepSelect, tlsSrv(&imapServer{Handlers: map[string]handler{"EXAMINE": answer("TAG NO [NOPERM] Permission denied")}}), "", nil},
		{"mailbox.in_use", StepSelect, tlsSrv(&imapServer{Handlers: map[string]handler{"EXAMINE": answer("TAG NO [INUSE] Mailbox is locked")}}), "", nil},
		{"mailbox.select_failed", StepSelect, tlsSrv(&imapServer{Handlers: map[string]handler{"EXAMINE": answer("TAG NO [SERVERBUG] Internal error")}}), "", nil},
		{"mailbox.dropped", StepSelect, tlsSrv(&imapServer{Handlers: map[string]handler{"EXAMINE": hangUp("* BYE Server shutting down.")}}), "", nil},
		// fetch
		{"fetch.failed", StepFetch, tlsSrv(&imapServer{Handlers: map[string]handler{"FETCH": answer("TAG NO [SERVERBUG] cannot read message")}}), "", nil},
		{"fetch.failed", StepFetch, tlsSrv(&imapServer{Handlers: map[string]handler{"FETCH": answer("TAG OK nothing")}}), "", nil},
		{"fetch.incomplete", StepFetch, tlsSrv(&imapServer{Handlers: map[string]handler{"FETCH": answer(`* 1 FETCH (UID 7 RFC822.SIZE 500 BODY[]<0> {5}`, "hello)", "TAG OK done")}}), "", nil},
		{"fetch.incomplete", StepFetch, tlsSrv(&imapServer{Handlers: map[string]handler{"FETCH": answer(`* 1 FETCH (UID 7 BODY[]<0> {5}`, "hello)", "TAG OK done")}}), "", nil},
		{"fetch.malformed", StepFetch, tlsSrv(&imapServer{Handlers: map[string]handler{"FETCH": answer(`* 1 FETCH (UID 7 RFC822.SIZE 5 BODY[]<0> {1073741824}`)}}), "", nil},
		{"fetch.timeout", StepFetch, tlsSrv(&imapServer{Handlers: map[string]handler{"FETCH": stall}}), "", short},
		{"fetch.dropped", StepFetch, tlsSrv(&imapServer{Handlers: map[string]handler{"FETCH": hangUp(`* 1 FETCH (UID 7 RFC822.SIZE 500 BODY[]<0> {500}`, "partial")}}), "", nil},
		// logout
		{"logout.bad", StepLogout, tlsSrv(&imapServer{Handlers: map[string]handler{"LOGOUT": answer("TAG BAD no")}}), "", nil},
		{"logout.timeout", StepLogout, tlsSrv(&imapServer{Handlers: map[string]handler{"LOGOUT": stall}}), "", short},
	}
	seen := map[string]int{}
	for _, c := range cases {
		seen[c.code]++
		name := fmt.Sprintf("%s#%d", c.code, seen[c.code])
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := c.srv.start(t)
			mode := c.mode
			if mode == "" {
				mode = TLSImplicit
			}
			tg := srv.target(mode)
			if c.code == "mailbox.not_found" {
				tg.Mailbox = "Snet"
			}
			o := baseOptions(t)
			if c.mod != nil {
				c.mod(&o)
			}
			began := time.Now()
			r := Probe(context.Background(), tg, o)
			assertFailure(t, r, c.step, c.code)
			if took := time.Since(began); took > o.StepTimeout+time.Second {
				t.Errorf("took %s, over the step deadline plus 1 s", took)
			}
		})
	}
}

func TestDiagnosisDetails(t *testing.T) {
	t.Parallel()
	t.Run("dropped quotes the BYE", func(t *testing.T) {
		t.Parallel()
		srv := (&imapServer{Pass: testPass, Implicit: goodTLS(t), Handlers: map[string]handler{"LIST": hangUp("* BYE Server shutting down for maintenance")}}).start(t)
		r := Probe(context.Background(), srv.target(TLSImplicit), baseOptions(t))
		assertFailure(t, r, StepList, "list.dropped")
		if d := r.Step(StepList).Diagnosis.Detail; !strings.Contains(d, "Server shutting down for maintenance") {
			t.Errorf("detail %q lacks the BYE text", d)
		}
	})
	t.Run("not_found hints the closest names", func(t *testing.T) {
		t.Parallel()
		srv := (&imapServer{Pass: testPass, Implicit: goodTLS(t), Mailboxes: []string{"INBOX", "Sent Items", "Archive", "Drafts"}}).start(t)
		tg := srv.target(TLSImplicit)
		tg.Mailbox = "Sent"
		r := Probe(context.Background(), tg, baseOptions(t))
		assertFailure(t, r, StepSelect, "mailbox.not_found")
		if h := r.Step(StepSelect).Diagnosis.Hint; !strings.Contains(h, `"Sent Items"`) || strings.Contains(h, "Archive") {
			t.Errorf("hint %q", h)
		}
	})
	t.Run("greeting timeout on 993 hints implicit TLS", func(t *testing.T) {
		t.Parallel()
		o := baseOptions(t)
		o.StepTimeout = 300 * time.Millisecond
		srv := (&imapServer{Raw: silent}).start(t)
		tg := srv.target(TLSStartTLS)
		tg.Port, tg.ConnectAddr = 993, fmt.Sprintf("127.0.0.1:%d", srv.port())
		r := Probe(context.Background(), tg, o)
		assertFailure(t, r, StepGreeting, "greeting.timeout")
		if h := r.Step(StepGreeting).Diagnosis.Hint; !strings.Contains(h, "imaps://") {
			t.Errorf("hint %q", h)
		}
	})
	t.Run("token error is decoded", func(t *testing.T) {
		t.Parallel()
		srv := (&imapServer{Token: "good", Caps: "IMAP4rev1 AUTH=OAUTHBEARER SASL-IR", Implicit: goodTLS(t)}).start(t)
		o := baseOptions(t)
		o.Token, o.Password = "bad", ""
		r := Probe(context.Background(), srv.target(TLSImplicit), o)
		assertFailure(t, r, StepAuth, "auth.token_rejected")
		if d := r.Step(StepAuth).Diagnosis.Detail; !strings.Contains(d, "status=invalid_token") || !strings.Contains(d, "scope=https://mail.example/imap") {
			t.Errorf("detail %q", d)
		}
	})
	t.Run("select read-only warns", func(t *testing.T) {
		t.Parallel()
		srv := (&imapServer{Pass: testPass, Implicit: goodTLS(t), Handlers: map[string]handler{
			"SELECT": func(c *conv, tag, args string) bool { return selectReply(c, tag, args, "READ-ONLY") }}}).start(t)
		o := baseOptions(t)
		o.Select = true
		r := Probe(context.Background(), srv.target(TLSImplicit), o)
		assertOK(t, r, "mailbox.read_only")
	})
	t.Run("slow step warns", func(t *testing.T) {
		t.Parallel()
		srv := (&imapServer{Pass: testPass, Implicit: goodTLS(t), Handlers: map[string]handler{
			"LIST": func(c *conv, tag, args string) bool {
				time.Sleep(150 * time.Millisecond)
				return defaultHandlers["LIST"](c, tag, args)
			}}}).start(t)
		o := baseOptions(t)
		o.Slow = 100 * time.Millisecond
		r := Probe(context.Background(), srv.target(TLSImplicit), o)
		assertOK(t, r, "list.slow")
	})
	t.Run("no credentials skips auth and mailbox steps", func(t *testing.T) {
		t.Parallel()
		srv := (&imapServer{Implicit: goodTLS(t)}).start(t)
		o := baseOptions(t)
		o.Password = ""
		r := Probe(context.Background(), srv.target(TLSImplicit), o)
		assertOK(t, r)
		for _, name := range []string{StepAuth, StepList, StepSelect, StepFetch} {
			if s := r.Step(name); s.Status != StatusSkipped || !strings.Contains(s.Note, "no credentials") {
				t.Errorf("%s: %s %q", name, s.Status, s.Note)
			}
		}
		if r.Step(StepLogout).Status != StatusOK {
			t.Errorf("logout: %s", r.Step(StepLogout).Status)
		}
	})
	t.Run("context cancel ends the probe", func(t *testing.T) {
		t.Parallel()
		srv := (&imapServer{Raw: silent}).start(t)
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		began := time.Now()
		r := Probe(ctx, srv.target(TLSNone), baseOptions(t))
		assertFailure(t, r, StepGreeting, "greeting.timeout")
		if d := time.Since(began); d > time.Second {
			t.Errorf("took %s", d)
		}
	})
}
