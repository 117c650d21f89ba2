package fakeserver_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-sasl"
	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/internal/testkit"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// TestAuthWire checks, byte for byte, what each mechanism answers over a
// plaintext port that allows authentication.
func TestAuthWire(t *testing.T) {
	t.Parallel()
	const token = "tok-canary-5f2e"
	srv := fakeserver.New(t, fakeserver.WithMode(fakeserver.ModePlaintext),
		fakeserver.WithUser("alice", "pw-canary-9c1d"), fakeserver.WithToken("alice", token))
	xoauthChallenge := "+ " + b64(`{"schemes":"Bearer","scope":"https://mail.google.com/","status":"401"}`) + "\r\n"
	bearerChallenge := "+ " + b64(`{"openid-configuration":"https://accounts.google.com/.well-known/openid-configuration","scope":"https://mail.google.com/","status":"invalid_token"}`) + "\r\n"
	tests := []struct {
		name  string
		steps []string // client line, then the server lines expected, alternately
		user  string
	}{
		{"login ok", []string{"a LOGIN alice pw-canary-9c1d\r\n", "a OK [CAPABILITY"}, "alice"},
		{"login quoted bad", []string{"a LOGIN \"alice\" \"wrong\"\r\n", "a NO [AUTHENTICATIONFAILED] Authentication failed\r\n"}, "alice"},
		{"login literal user", []string{"a LOGIN {5}\r\n", "+ Ready for literal data\r\n", "alice {14}\r\n", "+ Ready for literal data\r\n", "pw-canary-9c1d\r\n", "a OK [CAPABILITY"}, "alice"},
		{"plain ir", []string{"a AUTHENTICATE PLAIN " + b64("\x00alice\x00pw-canary-9c1d") + "\r\n", "a OK [CAPABILITY"}, "alice"},
		{"plain no ir", []string{"a AUTHENTICATE PLAIN\r\n", "+ =\r\n", b64("\x00bob\x00nope") + "\r\n", "a NO [AUTHENTICATIONFAILED] Authentication failed\r\n"}, "bob"},
		{"xoauth2 ok", []string{"a AUTHENTICATE XOAUTH2 " + b64("user=alice\x01auth=Bearer "+token+"\x01\x01") + "\r\n", "a OK [CAPABILITY"}, "alice"},
		{"xoauth2 bad", []string{"a AUTHENTICATE XOAUTH2 " + b64("user=alice\x01auth=Bearer wrong\x01\x01") + "\r\n", xoauthChallenge, "\r\n", "a NO [AUTHENTICATIONFAILED] Authentication failed\r\n"}, "alice"},
		{"xoauth2 no ir", []string{"a AUTHENTICATE XOAUTH2\r\n", "+ \r\n", b64("user=alice\x01auth=Bearer "+token+"\x01\x01") + "\r\n", "a OK [CAPABILITY"}, "alice"},
		{"oauthbearer ok", []string{"a AUTHENTICATE OAUTHBEARER " + b64("n,a=alice,\x01auth=Bearer "+token+"\x01\x01") + "\r\n", "a OK [CAPABILITY"}, "alice"},
		{"oauthbearer bad", []string{"a AUTHENTICATE OAUTHBEARER " + b64("n,a=alice,\x01auth=Bearer wrong\x01\x01") + "\r\n", bearerChallenge, b64("\x01") + "\r\n", "a NO [AUTHENTICATIONFAILED] Authentication failed\r\n"}, "alice"},
		{"oauthbearer empty ack", []string{"a AUTHENTICATE OAUTHBEARER " + b64("n,a=alice,\x01auth=Bearer wrong\x01\x01") + "\r\n", bearerChallenge, "=\r\n", "a NO [AUTHENTICATIONFAILED] Authentication failed\r\n"}, "alice"},
		{"oauthbearer no ir", []string{"a AUTHENTICATE OAUTHBEARER\r\n", "+ =\r\n", b64("n,a=alice,\x01auth=Bearer "+token+"\x01\x01") + "\r\n", "a OK [CAPABILITY"}, "alice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := greeted(t, srv)
			r.exchange(tt.steps, strings.HasPrefix)
			r.send("z LOGOUT\r\n")
			r.until("z OK")
			recs := srv.Connections()
			var rec *fakeserver.ConnRecord
			for i := range recs {
				if recs[i].Remote == r.nc.LocalAddr().String() {
					rec = &recs[i]
				}
			}
			if rec == nil || rec.User != tt.user {
				t.Fatalf("record %+v, want user %q", rec, tt.user)
			}
		})
	}
}

// TestNoSecretsInRecordsOrLog logs in with canary secrets and checks that
// neither the records nor the log hold them.
func TestNoSecretsInRecordsOrLog(t *testing.T) {
	t.Parallel()
	var logBuf testkit.Buffer
	const pass, token = "canary-pass-3b7a", "canary-token-8d2f"
	srv := fakeserver.New(t, fakeserver.WithMode(fakeserver.ModePlaintext), fakeserver.WithUser("alice", pass),
		fakeserver.WithToken("alice", token), fakeserver.WithLogger(newTextLogger(&logBuf)))
	c := dial(t, srv)
	if err := c.Authenticate(sasl.NewPlainClient("", "alice", pass)); err != nil {
		t.Fatal(err)
	}
	c.Logout().Wait()
	c.Close()
	c2 := dial(t, srv)
	if err := c2.Login("alice", token).Wait(); err == nil {
		t.Fatal("a token must not work as a password")
	}
	c2.Close()
	waitEnded(t, srv, 2)
	recs := jsonString(t, srv.Connections())
	for _, secret := range []string{pass, token, b64("\x00alice\x00" + pass)} {
		if strings.Contains(recs, secret) || strings.Contains(logBuf.String(), secret) {
			t.Fatalf("secret %q leaked:\nrecords %s\nlog %s", secret, recs, logBuf.String())
		}
	}
	if !strings.Contains(logBuf.String(), "AUTHENTICATE") {
		t.Fatalf("log lacks the commands: %s", logBuf.String())
	}
}

func TestMailboxes(t *testing.T) {
	t.Parallel()
	srv := fakeserver.New(t, fakeserver.WithRestrictedMailbox("Restricted"))
	c := login(t, srv)
	list, err := c.List("", "*", nil).Collect()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range list {
		names = append(names, l.Mailbox)
	}
	if got, want := strings.Join(names, ","), "Archive,Archive/2025,Drafts,INBOX,Junk,Restricted,Sent,Trash"; got != want {
		t.Fatalf("LIST %s, want %s", got, want)
	}
	_, err = c.Select("Restricted", nil).Wait()
	var imapErr *imap.Error
	if !errors.As(err, &imapErr) || imapErr.Type != imap.StatusResponseTypeNo || imapErr.Code != imap.ResponseCodeNoPerm {
		t.Fatalf("SELECT Restricted: %v, want NO [NOPERM]", err)
	}
	if err := srv.Append("alice", "Archive", []byte("Subject: added\r\n\r\nhi\r\n")); err != nil {
		t.Fatal(err)
	}
	st, err := c.Status("Archive", &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil || *st.NumMessages != 1 {
		t.Fatalf("STATUS Archive: %v %v, want 1 message", st, err)
	}
	if _, err := c.Select("Sent", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	msgs, err := c.Fetch(imap.SeqSetNum(1), &imap.FetchOptions{Envelope: true}).Collect()
	if err != nil || len(msgs) != 1 || msgs[0].Envelope.From[0].Addr() != "alice@example.test" {
		t.Fatalf("Sent: %v %v", msgs, err)
	}
}

// TestStartTLSPortRefusesPlaintextLogin: before STARTTLS the port
// advertises LOGINDISABLED and answers NO [PRIVACYREQUIRED].
func TestStartTLSPortRefusesPlaintextLogin(t *testing.T) {
	t.Parallel()
	srv := fakeserver.New(t, fakeserver.WithMode(fakeserver.ModeStartTLS))
	r := dialRaw(t, srv.Addr(), nil)
	g := r.line()
	if !strings.Contains(g, " STARTTLS") || !strings.Contains(g, " LOGINDISABLED") {
		t.Fatalf("greeting %q lacks STARTTLS LOGINDISABLED", g)
	}
	r.send("a LOGIN alice x\r\n")
	if got := r.line(); !strings.HasPrefix(got, "a NO [PRIVACYREQUIRED]") {
		t.Fatalf("got %q", got)
	}
}

func TestBothPorts(t *testing.T) {
	t.Parallel()
	srv := fakeserver.New(t, fakeserver.WithMode(fakeserver.ModeStartTLS), fakeserver.WithBothPorts())
	if srv.TLSAddr() == "" || srv.PlainAddr() == "" || srv.Addr() != srv.PlainAddr() {
		t.Fatalf("addrs: main %s plain %s tls %s", srv.Addr(), srv.PlainAddr(), srv.TLSAddr())
	}
	if !strings.HasPrefix(srv.URL(), "imap://alice@127.0.0.1:") || !strings.HasSuffix(srv.URL(), "/INBOX") {
		t.Fatalf("URL %s", srv.URL())
	}
	login(t, srv) // STARTTLS on the plain port
	r := dialRaw(t, srv.TLSAddr(), srv.TLSConfig())
	if g := r.line(); !strings.HasPrefix(g, "* OK [CAPABILITY IMAP4rev2 IMAP4rev1 SASL-IR LITERAL- ID AUTH=PLAIN AUTH=XOAUTH2 AUTH=OAUTHBEARER] ") || strings.Contains(g, "STARTTLS") {
		t.Fatalf("TLS greeting %q", g)
	}
	recs := srv.Connections()
	if len(recs) != 2 || recs[0].Port != "starttls" || !recs[0].TLS || recs[1].Port != "tls" {
		t.Fatalf("records %+v", recs)
	}
}

// TestTranscript: the record's transcript shows both directions, TLS, and
// the fault, with the password masked.
func TestTranscript(t *testing.T) {
	t.Parallel()
	srv := fakeserver.New(t, fakeserver.WithUser("alice", "canary-pw-77aa"), withSpecs(t, "reply:SELECT=NO [NOPERM] go away"))
	c := login(t, srv)
	c.Select("INBOX", nil).Wait()
	c.Logout().Wait()
	recs := waitEnded(t, srv, 1)
	var lines []string
	for _, l := range recs[0].Transcript {
		lines = append(lines, string(l.Dir)+": "+l.Text)
	}
	got := strings.Join(lines, "\n")
	for _, want := range []string{"*: TLS TLS 1.3", "S: * OK [CAPABILITY", "C: T1 LOGIN \"alice\" [redacted]", "*: fault reply:SELECT=NO [NOPERM] go away at command", "S: T2 NO [NOPERM] go away", "C: T3 LOGOUT", "S: T3 OK LOGOUT completed"} {
		if !strings.Contains(got, want) {
			t.Errorf("transcript lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "canary-pw-77aa") {
		t.Fatalf("password in transcript:\n%s", got)
	}
}

// TestPlainMalformed: a malformed PLAIN response gets a coded NO, as from
// a real server, never NO [SERVERBUG]; the connection stays usable.
func TestPlainMalformed(t *testing.T) {
	t.Parallel()
	srv := fakeserver.New(t, fakeserver.WithMode(fakeserver.ModePlaintext), fakeserver.WithUser("alice", "pw-canary-4d0e"))
	const failed = "a NO [AUTHENTICATIONFAILED] Authentication failed\r\n"
	tests := []struct {
		name  string
		steps []string // client line, then the server line expected, alternately
	}{
		{"empty initial response", []string{"a AUTHENTICATE PLAIN =\r\n", failed}},
		{"empty response", []string{"a AUTHENTICATE PLAIN\r\n", "+ =\r\n", "=\r\n", failed}},
		{"no NULs", []string{"a AUTHENTICATE PLAIN " + b64("alice pw-canary-4d0e") + "\r\n", failed}},
		{"one NUL", []string{"a AUTHENTICATE PLAIN " + b64("\x00alice") + "\r\n", failed}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := greeted(t, srv)
			r.exchange(tt.steps, func(got, want string) bool { return got == want })
			r.send("b NOOP\r\n")
			if got := r.line(); !strings.HasPrefix(got, "b OK") {
				t.Fatalf("NOOP after the failure: %q", got)
			}
		})
	}
}
