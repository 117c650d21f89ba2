package fakeserver_test

import (
	"bufio"
	"crypto/tls"
	"strings"
	"testing"

	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/faults"
)

// capsStep sends one client write and expects the last line read, the
// tagged reply or a continuation request, exactly (without CRLF); a want
// ending in "…" is a prefix (a login's capability list, which the
// persona decides).
// {PASS} is the seeded password and {IR} PLAIN's initial response.
type capsStep struct{ send, want string }

// TestCapsFaultsRefuse checks, over a real socket, that a removed
// capability is refused and an added LOGINDISABLED refuses LOGIN, with
// the exact tagged replies, and that the refusal follows the scope.
func TestCapsFaultsRefuse(t *testing.T) {
	t.Parallel()
	starttls := fakeserver.WithMode(fakeserver.ModeStartTLS)
	dovecot := fakeserver.WithPersona(fakeserver.PersonaDovecot)
	afterLogin := func(s string) string {
		return strings.Replace(faults.NoCommandLoggedInFormat, "%s", s, 1)
	}
	for _, tc := range []struct {
		name  string
		spec  string
		opts  []fakeserver.Option
		steps []capsStep
	}{
		{"STARTTLS refused, stays plaintext", "caps:-STARTTLS", []fakeserver.Option{starttls}, []capsStep{
			{"a STARTTLS\r\n", "a " + faults.NoStartTLSReply},
			{"b NOOP\r\n", "b OK NOOP completed"},
			{"c LOGIN alice {PASS}\r\n", "c NO [PRIVACYREQUIRED] TLS is required to authenticate"},
		}},
		{"STARTTLS, Dovecot persona", "caps:-STARTTLS", []fakeserver.Option{starttls, dovecot}, []capsStep{
			{"a STARTTLS\r\n", "a BAD TLS support isn't enabled."},
			{"b CAPABILITY\r\n", "b OK Pre-login capabilities listed, post-login capabilities have more."},
		}},
		{"STARTTLS advertised again after times=1", "caps:-STARTTLS;times=1", []fakeserver.Option{starttls}, []capsStep{
			{"a STARTTLS\r\n", "a " + faults.NoStartTLSReply},
			{"b CAPABILITY\r\n", "b OK CAPABILITY completed"},
			{"c STARTTLS\r\n", "c OK Begin TLS negotiation now"},
		}},
		{"AUTH=PLAIN removed", "caps:-AUTH=PLAIN", nil, []capsStep{
			{"a AUTHENTICATE PLAIN {IR}\r\n", "a " + faults.NoMechanismReply},
			{"b AUTHENTICATE plain\r\n", "b NO [ALERT] Unsupported authentication mechanism."},
			{"c AUTHENTICATE XOAUTH2\r\n", "+ "},
			{"*\r\n", "c BAD AUTHENTICATE cancelled"},
			{"d LOGIN alice {PASS}\r\n", "d OK [CAPABILITY IMAP4rev2 IMAP4rev1 SASL-IR LITERAL- UNSELECT ENABLE IDLE …"},
		}},
		{"LOGINDISABLED on the TLS port", "caps:+LOGINDISABLED", nil, []capsStep{
			{"a LOGIN alice {PASS}\r\n", "a " + faults.LoginDisabledReply},
			{"b LOGIN {5}\r\n", "b " + faults.LoginDisabledReply},
			{"c AUTHENTICATE PLAIN {IR}\r\n", "c OK [CAPABILITY IMAP4rev2 IMAP4rev1 SASL-IR LITERAL- UNSELECT ENABLE IDLE …"},
		}},
		{"LOGINDISABLED after STARTTLS", "caps:+LOGINDISABLED", []fakeserver.Option{starttls}, []capsStep{
			{"a LOGIN alice {PASS}\r\n", "a NO [PRIVACYREQUIRED] TLS is required to authenticate"},
			{"b STARTTLS\r\n", "b OK Begin TLS negotiation now"},
			{"", ""}, // the handshake
			{"c CAPABILITY\r\n", "c OK CAPABILITY completed"},
			{"d LOGIN alice {PASS}\r\n", "d " + faults.LoginDisabledReply},
		}},
		{"LOGINDISABLED lifted after times=1", "caps:+LOGINDISABLED;times=1", nil, []capsStep{
			{"a LOGIN alice {PASS}\r\n", "a " + faults.LoginDisabledReply},
			{"b CAPABILITY\r\n", "b OK CAPABILITY completed"},
			{"c LOGIN alice {PASS}\r\n", "c OK [CAPABILITY IMAP4rev2 IMAP4rev1 SASL-IR LITERAL- UNSELECT ENABLE IDLE …"},
		}},
		{"IDLE removed", "caps:-IDLE", nil, []capsStep{
			{"a LOGIN alice {PASS}\r\n", "a OK [CAPABILITY IMAP4rev2 IMAP4rev1 SASL-IR LITERAL- UNSELECT ENABLE UTF8=ACCEPT …"},
			{"b SELECT INBOX\r\n", "b OK [READ-WRITE] SELECT completed"},
			{"c IDLE\r\n", "c " + afterLogin("IDLE")},
			{"d NOOP\r\n", "d OK NOOP completed"},
		}},
		{"SASL-IR removed", "caps:-SASL-IR", nil, []capsStep{
			{"a AUTHENTICATE PLAIN {IR}\r\n", "a " + faults.NoCommandReply},
			{"b AUTHENTICATE PLAIN\r\n", "+ ="},
			{"{IR}\r\n", "b OK [CAPABILITY IMAP4rev2 IMAP4rev1 LITERAL- UNSELECT ENABLE IDLE …"},
		}},
		{"LITERAL- removed", "caps:-LITERAL-", nil, []capsStep{
			{"a LOGIN alice {5+}\r\nwrong\r\n", "a " + faults.NoCommandReply},
			{"b NOOP\r\n", "b OK NOOP completed"},
			{"c LOGIN alice {5}\r\n", "+ Ready for literal data"},
			{"wrong\r\n", "c NO [AUTHENTICATIONFAILED] Authentication failed"},
		}},
		{"ID and MOVE, Dovecot persona", "caps:-ID|caps:-MOVE", []fakeserver.Option{dovecot}, []capsStep{
			{"a ID NIL\r\n", "a BAD Error in IMAP command received by server."},
			{"b LOGIN alice {PASS}\r\n", "b OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ENABLE IDLE UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED ESEARCH SEARCHRES LIST-STATUS STATUS=SIZE LITERAL+ SPECIAL-USE] Logged in"},
			{"c SELECT INBOX\r\n", "c OK [READ-WRITE] Select completed (0.001 + 0.000 secs)."},
			{"d UID MOVE 1 Trash\r\n", "d BAD Error in IMAP command UID MOVE: Unknown command (0.001 + 0.000 secs)."},
			{"e UID COPY 1 Archive\r\n", "e OK [COPYUID …"},
		}},
		{"an added capability that is not LOGINDISABLED changes nothing", "caps:+XFOO", nil, []capsStep{
			{"a LOGIN alice {PASS}\r\n", "a OK [CAPABILITY IMAP4rev2 IMAP4rev1 SASL-IR LITERAL- UNSELECT ENABLE IDLE …"},
			{"b XFOO\r\n", "b BAD Unknown command"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			specs := strings.Split(tc.spec, "|")
			srv := fakeserver.New(t, append(tc.opts, withSpecs(t, specs...))...)
			runCapsSteps(t, srv, tc.steps)
		})
	}
}

// runCapsSteps plays steps on a raw connection to srv's main port; an
// empty step is a TLS handshake (after STARTTLS).
func runCapsSteps(t *testing.T, srv *fakeserver.Server, steps []capsStep) {
	t.Helper()
	_, pass := srv.User()
	var r *rawConn
	if srv.Mode() == fakeserver.ModeImplicitTLS {
		r = dialRaw(t, srv.Addr(), srv.TLSConfig())
	} else {
		r = dialRaw(t, srv.Addr(), nil)
	}
	r.line()
	for _, st := range steps {
		if st.send == "" {
			r.startTLS(srv)
			continue
		}
		send := strings.NewReplacer("{PASS}", pass, "{IR}", b64("\x00alice\x00"+pass)).Replace(st.send)
		r.send(send)
		tag, _, _ := strings.Cut(send, " ")
		for {
			l := strings.TrimSuffix(r.line(), "\r\n")
			if strings.HasPrefix(l, "+ ") || strings.HasPrefix(l, tag+" ") || !strings.HasPrefix(l, "* ") {
				if want, prefix := strings.CutSuffix(st.want, "…"); l != st.want && !(prefix && strings.HasPrefix(l, want)) {
					t.Fatalf("after %q: got %q, want %q", st.send, l, st.want)
				}
				break
			}
		}
	}
}

// startTLS runs the client handshake after a STARTTLS OK.
func (r *rawConn) startTLS(srv *fakeserver.Server) {
	r.t.Helper()
	tc := tls.Client(r.nc, srv.TLSConfig())
	if err := tc.Handshake(); err != nil {
		r.t.Fatalf("handshake after STARTTLS: %v", err)
	}
	r.nc, r.br = tc, bufio.NewReader(tc)
}
