package prober

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	pt "github.com/imapprobe/imapprobe/prober/probertest"
)

func TestDiagnoses(t *testing.T) {
	t.Parallel()
	type tc struct {
		code Code
		step string
		srv  *pt.Server
		mode TLSMode // default implicit
		mod  func(*Options)
	}
	tlsSrv := func(s *pt.Server) *pt.Server {
		s.Implicit = goodTLS(t)
		if s.Pass == "" {
			s.Pass = testPass
		}
		return s
	}
	short := func(o *Options) { o.StepTimeout = 400 * time.Millisecond }
	cases := []tc{
		// greeting
		{"greeting.timeout", StepGreeting, &pt.Server{Raw: pt.Silent}, TLSNone, short},
		{"greeting.closed", StepGreeting, &pt.Server{Raw: pt.RawScript("", true)}, TLSNone, nil},
		{"greeting.bye", StepGreeting, &pt.Server{Raw: pt.RawScript("* BYE Too many connections\r\n", false)}, TLSNone, nil},
		{"greeting.malformed", StepGreeting, &pt.Server{Raw: pt.RawScript("+OK POP3 server ready\r\n", false)}, TLSNone, nil},
		{"greeting.malformed", StepGreeting, &pt.Server{Raw: pt.RawScript("220 mail.example.com ESMTP\r\n", false)}, TLSNone, nil},
		{"greeting.malformed", StepGreeting, &pt.Server{Raw: pt.RawScript("\x00\xffnoise without a line end", true)}, TLSNone, nil},
		{"greeting.closed", StepGreeting, &pt.Server{Raw: pt.RawScript("* OK [CAPAB", true)}, TLSNone, nil}, // cut mid-greeting: not a wrong port
		{"greeting.closed", StepGreeting, &pt.Server{Raw: pt.RawScript("*", true)}, TLSNone, nil},
		{"tcp.reset", StepConnect, &pt.Server{Raw: resetConn}, TLSNone, nil},
		{"tcp.reset", StepConnect, &pt.Server{Raw: resetConn}, TLSImplicit, nil},
		{"greeting.malformed", StepGreeting, &pt.Server{Raw: pt.RawScript("* OK bare LF\n", false)}, TLSNone, nil},
		// capability
		{"capability.bad", StepCapability, tlsSrv(&pt.Server{Handlers: map[string]pt.Handler{"CAPABILITY": pt.Answer("TAG BAD no")}}), "", nil},
		{"capability.malformed", StepCapability, tlsSrv(&pt.Server{Handlers: map[string]pt.Handler{"CAPABILITY": pt.Answer("TAG OK but no data")}}), "", nil},
		{"capability.malformed", StepCapability, tlsSrv(&pt.Server{Handlers: map[string]pt.Handler{"CAPABILITY": pt.Answer("X9 OK wrong tag")}}), "", nil},
		{"capability.dropped", StepCapability, tlsSrv(&pt.Server{Handlers: map[string]pt.Handler{"CAPABILITY": pt.HangUp("* BYE shutting down")}}), "", nil},
		{"capability.timeout", StepCapability, tlsSrv(&pt.Server{Handlers: map[string]pt.Handler{"CAPABILITY": pt.Stall}}), "", short},
		// starttls
		{"starttls.unavailable", StepStartTLS, &pt.Server{Pass: testPass}, TLSStartTLS, nil},
		{"starttls.unavailable", StepStartTLS, &pt.Server{Greeting: "* PREAUTH hi"}, TLSStartTLS, nil},
		{"starttls.refused", StepStartTLS, &pt.Server{StartTLS: goodTLS(t), Handlers: map[string]pt.Handler{"STARTTLS": pt.Answer("TAG NO TLS not configured")}}, TLSStartTLS, nil},
		{"starttls.bad", StepStartTLS, &pt.Server{StartTLS: goodTLS(t), Handlers: map[string]pt.Handler{"STARTTLS": pt.Answer("TAG BAD what")}}, TLSStartTLS, nil},
		{"starttls.malformed", StepStartTLS, &pt.Server{StartTLS: goodTLS(t), Handlers: map[string]pt.Handler{"STARTTLS": pt.Answer("TAG OK go", "* OK injected")}}, TLSStartTLS, nil},
		// auth
		{"auth.insecure_transport", StepAuth, &pt.Server{Pass: testPass}, TLSNone, nil},
		{"auth.login_disabled", StepAuth, &pt.Server{Caps: "IMAP4rev1 LOGINDISABLED"}, TLSNone, func(o *Options) { o.AllowPlaintextAuth = true }},
		{"auth.login_disabled", StepAuth, tlsSrv(&pt.Server{Caps: "IMAP4rev1", Handlers: map[string]pt.Handler{"LOGIN": pt.Answer("TAG NO [PRIVACYREQUIRED] Plaintext authentication disallowed")}}), "", nil},
		{"auth.mechanism_unsupported", StepAuth, tlsSrv(&pt.Server{Caps: "IMAP4rev1 AUTH=PLAIN"}), "", func(o *Options) { o.Auth = "xoauth2"; o.Token = "t0k" }},
		{"auth.failed", StepAuth, tlsSrv(&pt.Server{Pass: "other"}), "", nil},
		{"auth.failed", StepAuth, tlsSrv(&pt.Server{Caps: "IMAP4rev1", Handlers: map[string]pt.Handler{"LOGIN": pt.Answer("TAG NO Invalid credentials (Failure)")}}), "", nil},
		{"auth.token_rejected", StepAuth, tlsSrv(&pt.Server{Token: "good", Caps: "IMAP4rev1 AUTH=XOAUTH2 SASL-IR"}), "", func(o *Options) { o.Token = "bad" }},
		{"auth.token_rejected", StepAuth, tlsSrv(&pt.Server{Token: "good", Caps: "IMAP4rev1 AUTH=OAUTHBEARER SASL-IR"}), "", func(o *Options) { o.Token = "bad" }},
		{"auth.unavailable", StepAuth, tlsSrv(&pt.Server{Handlers: map[string]pt.Handler{"AUTHENTICATE": pt.Answer("TAG NO [UNAVAILABLE] Temporary authentication failure.")}}), "", nil},
		{"auth.expired", StepAuth, tlsSrv(&pt.Server{Handlers: map[string]pt.Handler{"AUTHENTICATE": pt.Answer("TAG NO [EXPIRED] Password expired")}}), "", nil},
		{"auth.authorization_failed", StepAuth, tlsSrv(&pt.Server{Handlers: map[string]pt.Handler{"AUTHENTICATE": pt.Answer("TAG NO [AUTHORIZATIONFAILED] no")}}), "", nil},
		{"auth.authorization_failed", StepAuth, tlsSrv(&pt.Server{Caps: "IMAP4rev1", Handlers: map[string]pt.Handler{"LOGIN": pt.Answer("TAG NO User is authenticated but not connected.")}}), "", nil},
		{"auth.bad", StepAuth, tlsSrv(&pt.Server{Handlers: map[string]pt.Handler{"AUTHENTICATE": pt.Answer("TAG BAD Invalid arguments")}}), "", nil},
		{"auth.dropped", StepAuth, tlsSrv(&pt.Server{Handlers: map[string]pt.Handler{"AUTHENTICATE": pt.HangUp("* BYE Disconnected for inactivity.")}}), "", nil},
		{"auth.timeout", StepAuth, tlsSrv(&pt.Server{Handlers: map[string]pt.Handler{"AUTHENTICATE": pt.Stall}}), "", short},
		{"auth.malformed", StepAuth, tlsSrv(&pt.Server{Handlers: map[string]pt.Handler{"AUTHENTICATE": pt.Answer("TAG WHAT is this")}}), "", nil},
		// list
		{"list.failed", StepList, tlsSrv(&pt.Server{Handlers: map[string]pt.Handler{"LIST": pt.Answer("TAG NO [SERVERBUG] broken")}}), "", nil},
		{"list.bad", StepList, tlsSrv(&pt.Server{Handlers: map[string]pt.Handler{"LIST": pt.Answer("TAG BAD no")}}), "", nil},
		{"list.malformed", StepList, tlsSrv(&pt.Server{Handlers: map[string]pt.Handler{"LIST": pt.Answer(`* LIST (\Noselect "/" INBOX`, "TAG OK")}}), "", nil},
		{"list.malformed", StepList, tlsSrv(&pt.Server{Handlers: map[string]pt.Handler{"LIST": func(c *pt.Conv, tag, _ string) bool {
			_, _ = io.WriteString(c.Writer(), "* LIST () \"/\" INBOX\n"+tag+" OK done\r\n")
			return true
		}}}), "", nil},
		// select
		{"mailbox.not_found", StepSelect, tlsSrv(&pt.Server{}), "", nil},
		{"mailbox.not_found", StepSelect, tlsSrv(&pt.Server{Handlers: map[string]pt.Handler{"EXAMINE": pt.Answer("TAG NO Mailbox unknown")}}), "", nil},
		{"mailbox.no_permission", StepSelect, tlsSrv(&pt.Server{Handlers: map[string]pt.Handler{"EXAMINE": pt.Answer("TAG NO [NOPERM] Permission denied")}}), "", nil},
		{"mailbox.in_use", StepSelect, tlsSrv(&pt.Server{Handlers: map[string]pt.Handler{"EXAMINE": pt.Answer("TAG NO [INUSE] Mailbox is locked")}}), "", nil},
		{"mailbox.select_failed", StepSelect, tlsSrv(&pt.Server{Handlers: map[string]pt.Handler{"EXAMINE": pt.Answer("TAG NO [SERVERBUG] Internal error")}}), "", nil},
		{"mailbox.dropped", StepSelect, tlsSrv(&pt.Server{Handlers: map[string]pt.Handler{"EXAMINE": pt.HangUp("* BYE Server shutting down.")}}), "", nil},
		// fetch
		{"fetch.failed", StepFetch, tlsSrv(&pt.Server{Handlers: map[string]pt.Handler{"FETCH": pt.Answer("TAG NO [SERVERBUG] cannot read message")}}), "", nil},
		{"fetch.failed", StepFetch, tlsSrv(&pt.Server{Handlers: map[string]pt.Handler{"FETCH": pt.Answer("TAG OK nothing")}}), "", nil},
		{"fetch.incomplete", StepFetch, tlsSrv(&pt.Server{Handlers: map[string]pt.Handler{"FETCH": pt.Answer(`* 1 FETCH (UID 7 RFC822.SIZE 500 BODY[]<0> {5}`, "hello)", "TAG OK done")}}), "", nil},
		{"fetch.incomplete", StepFetch, tlsSrv(&pt.Server{Handlers: map[string]pt.Handler{"FETCH": pt.Answer(`* 1 FETCH (UID 7 BODY[]<0> {5}`, "hello)", "TAG OK done")}}), "", nil},
		{"fetch.malformed", StepFetch, tlsSrv(&pt.Server{Handlers: map[string]pt.Handler{"FETCH": pt.Answer(`* 1 FETCH (UID 7 RFC822.SIZE 5 BODY[]<0> {1073741824}`)}}), "", nil},
		{"fetch.timeout", StepFetch, tlsSrv(&pt.Server{Handlers: map[string]pt.Handler{"FETCH": pt.Stall}}), "", short},
		{"fetch.dropped", StepFetch, tlsSrv(&pt.Server{Handlers: map[string]pt.Handler{"FETCH": pt.HangUp(`* 1 FETCH (UID 7 RFC822.SIZE 500 BODY[]<0> {500}`, "partial")}}), "", nil},
		// logout
		{"logout.bad", StepLogout, tlsSrv(&pt.Server{Handlers: map[string]pt.Handler{"LOGOUT": pt.Answer("TAG BAD no")}}), "", nil},
		{"logout.timeout", StepLogout, tlsSrv(&pt.Server{Handlers: map[string]pt.Handler{"LOGOUT": pt.Stall}}), "", short},
		{"logout.dropped", StepLogout, tlsSrv(&pt.Server{Handlers: map[string]pt.Handler{"LOGOUT": func(c *pt.Conv, _, _ string) bool {
			_, _ = io.WriteString(c.Writer(), "* BYE Lo") // cut in the middle of the BYE line
			return false
		}}}), "", nil},
	}
	seen := map[Code]int{}
	for _, c := range cases {
		seen[c.code]++
		name := fmt.Sprintf("%s#%d", c.code, seen[c.code])
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := c.srv.Start(t)
			mode := c.mode
			if mode == "" {
				mode = TLSImplicit
			}
			tg := target(srv, mode)
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
		srv := (&pt.Server{Pass: testPass, Implicit: goodTLS(t), Handlers: map[string]pt.Handler{"LIST": pt.HangUp("* BYE Server shutting down for maintenance")}}).Start(t)
		r := Probe(context.Background(), target(srv, TLSImplicit), baseOptions(t))
		assertFailure(t, r, StepList, "list.dropped")
		if d := r.Step(StepList).Diagnosis.Detail; !strings.Contains(d, "Server shutting down for maintenance") {
			t.Errorf("detail %q lacks the BYE text", d)
		}
	})
	t.Run("not_found hints the closest names", func(t *testing.T) {
		t.Parallel()
		srv := (&pt.Server{Pass: testPass, Implicit: goodTLS(t), Mailboxes: []string{"INBOX", "Sent Items", "Archive", "Drafts"}}).Start(t)
		tg := target(srv, TLSImplicit)
		tg.Mailbox = "Sent"
		r := Probe(context.Background(), tg, baseOptions(t))
		assertFailure(t, r, StepSelect, "mailbox.not_found")
		if h := r.Step(StepSelect).Diagnosis.Hint; !strings.Contains(h, `"Sent Items"`) || strings.Contains(h, "Archive") {
			t.Errorf("hint %q", h)
		}
	})
	t.Run("timeout inside a literal names no empty partial line", func(t *testing.T) {
		t.Parallel()
		stallInLiteral := func(c *pt.Conv, tag, args string) bool {
			_, _ = io.WriteString(c.Writer(), "* 3 FETCH (UID 3 RFC822.SIZE 100 BODY[] {100}\r\n0123456789")
			return pt.Stall(c, tag, args)
		}
		srv := (&pt.Server{Pass: testPass, Implicit: goodTLS(t), Handlers: map[string]pt.Handler{"FETCH": stallInLiteral}}).Start(t)
		o := baseOptions(t)
		o.StepTimeout = 300 * time.Millisecond
		r := Probe(context.Background(), target(srv, TLSImplicit), o)
		assertFailure(t, r, StepFetch, "fetch.timeout")
		if d := r.Step(StepFetch).Diagnosis.Detail; strings.HasSuffix(strings.TrimSpace(d), ":") || !strings.Contains(d, "90 bytes of a literal were still expected") {
			t.Errorf("detail %q: an empty quote, or no count of the missing literal bytes", d)
		}
	})
	t.Run("a UTF-8 mailbox name goes out in the form the server reads", func(t *testing.T) {
		t.Parallel()
		cases := []struct {
			name, caps, wire string // wire: the EXAMINE argument the server accepts
		}{
			{"IMAP4rev1 only: modified UTF-7", "IMAP4rev1", `"Entw&APw-rfe"`},
			{"UTF8=ACCEPT enabled first", "IMAP4rev1 IMAP4rev2 ENABLE UTF8=ACCEPT", `"Entwürfe"`},
			{"IMAP4rev2 enabled first", "IMAP4rev1 IMAP4rev2 ENABLE", `"Entwürfe"`},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				var mu sync.Mutex
				enabled := false
				srv := (&pt.Server{Implicit: goodTLS(t), Mailboxes: []string{"INBOX", "Entw&APw-rfe"}, Handlers: map[string]pt.Handler{
					"AUTHENTICATE": pt.Answer("TAG OK [CAPABILITY " + c.caps + "] in"),
					"ENABLE": func(conv *pt.Conv, tag, args string) bool {
						mu.Lock()
						enabled = true
						mu.Unlock()
						conv.Send("* ENABLED "+args, tag+" OK enabled")
						return true
					},
					"EXAMINE": func(conv *pt.Conv, tag, args string) bool {
						mu.Lock()
						utf8Mode := enabled
						mu.Unlock()
						if args != c.wire || utf8Mode != strings.Contains(c.caps, "IMAP4rev2") {
							conv.Send(tag + " NO [NONEXISTENT] no mailbox " + args)
							return true
						}
						conv.Send("* 0 EXISTS", "* OK [UIDVALIDITY 1] ok", tag+" OK [READ-ONLY] opened")
						return true
					},
				}}).Start(t)
				tg := target(srv, TLSImplicit)
				tg.Mailbox = "Entwürfe"
				r := Probe(context.Background(), tg, baseOptions(t))
				if _, code := r.Failure(); code != "" {
					t.Errorf("failed with %s: %s\n%v", code, r.Step(StepSelect).Diagnosis.Detail, r.Step(StepSelect).Transcript)
				}
			})
		}
	})
	t.Run("a whole BYE then close at logout is a goodbye", func(t *testing.T) {
		t.Parallel()
		srv := (&pt.Server{Pass: testPass, Implicit: goodTLS(t), Handlers: map[string]pt.Handler{"LOGOUT": pt.HangUp("* BYE Logging out")}}).Start(t)
		r := Probe(context.Background(), target(srv, TLSImplicit), baseOptions(t))
		assertOK(t, r)
		if n := r.Step(StepLogout).Note; !strings.Contains(n, "without a tagged OK") {
			t.Errorf("logout note %q", n)
		}
	})
	t.Run("greeting timeout on 993 hints implicit TLS", func(t *testing.T) {
		t.Parallel()
		o := baseOptions(t)
		o.StepTimeout = 300 * time.Millisecond
		srv := (&pt.Server{Raw: pt.Silent}).Start(t)
		tg := target(srv, TLSStartTLS)
		tg.Port, tg.ConnectAddr = 993, fmt.Sprintf("127.0.0.1:%d", srv.Port())
		r := Probe(context.Background(), tg, o)
		assertFailure(t, r, StepGreeting, "greeting.timeout")
		if h := r.Step(StepGreeting).Diagnosis.Hint; !strings.Contains(h, "imaps://") {
			t.Errorf("hint %q", h)
		}
	})
	t.Run("token error is decoded", func(t *testing.T) {
		t.Parallel()
		srv := (&pt.Server{Token: "good", Caps: "IMAP4rev1 AUTH=OAUTHBEARER SASL-IR", Implicit: goodTLS(t)}).Start(t)
		o := baseOptions(t)
		o.Token, o.Password = "bad", ""
		r := Probe(context.Background(), target(srv, TLSImplicit), o)
		assertFailure(t, r, StepAuth, "auth.token_rejected")
		if d := r.Step(StepAuth).Diagnosis.Detail; !strings.Contains(d, "status=invalid_token") || !strings.Contains(d, "scope=https://mail.example/imap") {
			t.Errorf("detail %q", d)
		}
	})
	t.Run("select read-only warns", func(t *testing.T) {
		t.Parallel()
		srv := (&pt.Server{Pass: testPass, Implicit: goodTLS(t), Handlers: map[string]pt.Handler{
			"SELECT": func(c *pt.Conv, tag, args string) bool { return pt.SelectReply(c, tag, args, "READ-ONLY") }}}).Start(t)
		o := baseOptions(t)
		o.Select = true
		r := Probe(context.Background(), target(srv, TLSImplicit), o)
		assertOK(t, r, "mailbox.read_only")
	})
	t.Run("slow step warns", func(t *testing.T) {
		t.Parallel()
		srv := (&pt.Server{Pass: testPass, Implicit: goodTLS(t), Handlers: map[string]pt.Handler{
			"LIST": func(c *pt.Conv, tag, args string) bool {
				time.Sleep(700 * time.Millisecond)
				return pt.DefaultHandlers["LIST"](c, tag, args)
			}}}).Start(t)
		o := baseOptions(t)
		// wide: a TLS handshake under -race on a loaded machine took over 100 ms
		o.Slow = 400 * time.Millisecond
		r := Probe(context.Background(), target(srv, TLSImplicit), o)
		assertOK(t, r, "list.slow")
	})
	t.Run("no credentials fails auth instead of passing", func(t *testing.T) {
		t.Parallel()
		srv := (&pt.Server{Implicit: goodTLS(t)}).Start(t)
		o := baseOptions(t)
		o.Password = ""
		r := Probe(context.Background(), target(srv, TLSImplicit), o)
		assertFailure(t, r, StepAuth, "auth.no_credentials")
		if got := r.ExitCode(false); got != ExitUsage {
			t.Errorf("exit %d, want %d", got, ExitUsage)
		}
		for _, name := range []string{StepList, StepSelect, StepFetch, StepLogout} {
			if s := r.Step(name); s.Status != StatusSkipped {
				t.Errorf("%s: %s %q", name, s.Status, s.Note)
			}
		}
		want := &Result{Status: StatusFail, Step: StepAuth, Code: "auth.no_credentials", ExitCode: ExitUsage}
		if *r.Result != *want {
			t.Errorf("result %+v, want %+v", *r.Result, *want)
		}
	})
	t.Run("quit-after capability marks the rest not requested", func(t *testing.T) {
		t.Parallel()
		srv := (&pt.Server{Implicit: goodTLS(t)}).Start(t)
		o := baseOptions(t)
		o.Password, o.QuitAfter = "", StepCapability
		r := Probe(context.Background(), target(srv, TLSImplicit), o)
		assertOK(t, r)
		for _, name := range []string{StepStartTLS, StepAuth, StepList, StepSelect, StepFetch, StepLogout} {
			if s := r.Step(name); s.Status != StatusNotRequested || s.Note != "not requested: --quit-after capability" {
				t.Errorf("%s: %s %q", name, s.Status, s.Note)
			}
		}
		if want := Steps[:5]; !slices.Equal(r.Requested, want) {
			t.Errorf("requested %v, want %v", r.Requested, want)
		}
		if want := (Result{Status: StatusOK}); *r.Result != want {
			t.Errorf("result %+v, want %+v", *r.Result, want)
		}
	})
	t.Run("context cancel ends the probe", func(t *testing.T) {
		t.Parallel()
		srv := (&pt.Server{Raw: pt.Silent}).Start(t)
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		began := time.Now()
		r := Probe(ctx, target(srv, TLSNone), baseOptions(t))
		assertFailure(t, r, StepGreeting, "greeting.timeout")
		if d := time.Since(began); d > time.Second {
			t.Errorf("took %s", d)
		}
	})
}

// resetConn makes the deferred Close send a TCP RST.
func resetConn(c net.Conn) { _ = c.(*net.TCPConn).SetLinger(0) }

// After a token error challenge the prober must end the exchange the way
// each mechanism expects: XOAUTH2 with an empty line, OAUTHBEARER with
// the single byte 0x01 (RFC 7628 section 3.2.3).
func TestTokenErrorReply(t *testing.T) {
	t.Parallel()
	for mech, want := range map[string]string{"XOAUTH2": "", "OAUTHBEARER": "AQ=="} {
		t.Run(mech, func(t *testing.T) {
			t.Parallel()
			replies := make(chan string, 1)
			srv := (&pt.Server{Caps: "IMAP4rev1 SASL-IR AUTH=" + mech, Implicit: goodTLS(t), Handlers: map[string]pt.Handler{
				"AUTHENTICATE": func(c *pt.Conv, tag, _ string) bool {
					c.Send("+ eyJzdGF0dXMiOiI0MDEifQ==")
					line, err := c.ReadLine()
					if err != nil {
						return false
					}
					replies <- line
					c.Send(tag + " NO [AUTHENTICATIONFAILED] Authentication failed.")
					return true
				}}}).Start(t)
			o := baseOptions(t)
			o.Password, o.Token = "", "bad-token"
			r := Probe(context.Background(), target(srv, TLSImplicit), o)
			assertFailure(t, r, StepAuth, "auth.token_rejected")
			if got := <-replies; got != want {
				t.Errorf("reply to the error challenge = %q, want %q", got, want)
			}
		})
	}
}

// tokenErrorServer takes XOAUTH2 only and answers AUTHENTICATE with the
// given error challenge, then, after the client's reply, a tagged NO.
func tokenErrorServer(t *testing.T, challenge string) *pt.Server {
	return &pt.Server{Caps: "IMAP4rev1 SASL-IR AUTH=XOAUTH2", Implicit: goodTLS(t), Handlers: map[string]pt.Handler{
		"AUTHENTICATE": func(c *pt.Conv, tag, _ string) bool {
			c.Send("+ " + base64.StdEncoding.EncodeToString([]byte(challenge)))
			if _, err := c.ReadLine(); err != nil {
				return false
			}
			c.Send(tag + " NO [AUTHENTICATIONFAILED] Authentication failed.")
			return true
		}}}
}

// A broken server may quote the token back in its error challenge; the
// decoded token_error must not carry it, raw or JSON-escaped ("\/").
func TestTokenErrorIsScrubbed(t *testing.T) {
	t.Parallel()
	const token = "tok/canary-7f3a"
	challenges := map[string]string{
		"json":    `{"status":"401","token":"tok/canary-7f3a"}`,
		"escaped": `{"status":"401","token":"tok\/canary-7f3a"}`,
		"raw":     `invalid token tok/canary-7f3a`,
	}
	for name, challenge := range challenges {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r, out := probeTokenChallenge(t, token, challenge)
			if te := r.Step(StepAuth).Details.(*AuthDetails).TokenError; len(te) == 0 {
				t.Fatalf("token_error is empty")
			}
			if s := string(out); strings.Contains(s, "canary") {
				t.Errorf("report holds the token:\n%s", s)
			}
		})
	}
}
