package fakeserver_test

import (
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/imapprobe/imapprobe/fakeserver"
)

// dovecotWire holds Dovecot's real bytes, recorded by the integration
// suite (TestDovecotWireBytes).
const dovecotWire = "../integration/testdata/dovecot_wire.txt"

const (
	wireUser     = "alice"
	wirePassword = "wire-secret-9f2c"
	wireToken    = "wire-token-51ab"
)

// wireSetups says how to set up the fake like the Dovecot of each section.
// Dovecot counts plaintext from 127.0.0.1 as secured and offers AUTH= on
// its plain port; the fake does so with plaintext auth allowed.
var wireSetups = map[string]struct {
	tls    bool   // dial the implicit-TLS port
	source string // local address to dial from
	opts   []fakeserver.Option
	// flagsOnly: only the flag lines are compared, by TestPersonaFlags
	// (and STORE's reply after EXAMINE by TestPersonaRefusals).
	flagsOnly bool
	// refusalsOnly: only the tagged replies TestPersonaRefusals names
	// are compared.
	refusalsOnly bool
}{
	"plain port, STARTTLS, login, mailbox errors": {
		opts: []fakeserver.Option{fakeserver.WithMode(fakeserver.ModeStartTLS), fakeserver.WithAllowPlaintextAuth(true)},
	},
	"implicit TLS port":                         {tls: true},
	`XOAUTH2 error challenge answered with "="`: {tls: true},
	"plain port from 127.0.0.2 (not secured)": {
		source: "127.0.0.2",
		opts:   []fakeserver.Option{fakeserver.WithMode(fakeserver.ModeStartTLS)},
	},
	flagsSection:    {tls: true, flagsOnly: true},
	refusalsSection: {tls: true, refusalsOnly: true},
}

// notReproduced lists every Dovecot line the persona deliberately answers
// otherwise, with what it says instead and why. Any other difference fails.
var notReproduced = []struct {
	heading, dovecot, fake, why string
}{
	{
		heading: "plain port, STARTTLS, login, mailbox errors",
		dovecot: "f NO [NOPERM] Permission denied (T secs).",
		fake:    "f NO Mailbox doesn't exist: Nonexistent (T secs).",
		why: "Dovecot's ACL plugin answers the first SELECT of a missing mailbox in a never-used " +
			"maildir with NOPERM, an artefact of the fresh test maildir; later ones (line h) are reproduced",
	},
	{
		heading: "plain port, STARTTLS, login, mailbox errors",
		dovecot: "* CAPABILITY " + dovecotPostLogin,
		fake:    "* CAPABILITY " + withoutCaps(dovecotPostLogin, fakeserver.DovecotPostLoginMissing) + " SPECIAL-USE",
		why: "the persona advertises only what the go-imap backend implements (no SORT, THREAD, CONDSTORE, ACL...), " +
			"and SPECIAL-USE, which Dovecot adds when mailboxes have special-use attributes, as the fake's do " +
			"and the captured Dovecot's do not (testdata/dovecot_list.txt has the list of one whose do)",
	},
}

const dovecotPostLogin = "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY THREAD=REFERENCES " +
	"THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN NAMESPACE UIDPLUS " +
	"LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS " +
	"BINARY MOVE SNIPPET=FUZZY PREVIEW=FUZZY PREVIEW STATUS=SIZE SAVEDATE LITERAL+ NOTIFY ACL RIGHTS=texk"

// dovecotPostLoginFake is what the persona advertises after login.
const dovecotPostLoginFake = "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE UNSELECT CHILDREN NAMESPACE UIDPLUS " +
	"LIST-EXTENDED ESEARCH SEARCHRES LIST-STATUS MOVE STATUS=SIZE LITERAL+ SPECIAL-USE"

func withoutCaps(list string, drop []string) string {
	var out []string
	for _, c := range strings.Fields(list) {
		keep := true
		for _, d := range drop {
			keep = keep && c != d
		}
		if keep {
			out = append(out, c)
		}
	}
	return strings.Join(out, " ")
}

// TestPersonaDovecotMatchesCapture replays each connection of Dovecot's
// capture against the fake with the Dovecot persona and compares every
// server line.
func TestPersonaDovecotMatchesCapture(t *testing.T) {
	t.Parallel()
	sections := readWireCapture(t)
	if len(sections) != len(wireSetups) {
		t.Errorf("%s has %d sections, the test sets up %d: add the new ones to wireSetups", dovecotWire, len(sections), len(wireSetups))
	}
	used := make([]bool, len(notReproduced))
	for _, sec := range sections {
		setup, ok := wireSetups[sec.heading]
		if !ok {
			t.Errorf("no set-up for section %q", sec.heading)
			continue
		}
		if setup.flagsOnly || setup.refusalsOnly {
			continue
		}
		t.Run(sec.heading, func(t *testing.T) {
			opts := append([]fakeserver.Option{
				fakeserver.WithPersona(fakeserver.PersonaDovecot),
				fakeserver.WithUser(wireUser, wirePassword),
				fakeserver.WithToken(wireUser, wireToken),
				fakeserver.WithRestrictedMailbox("Restricted"), // as the Dovecot of the capture has
			}, setup.opts...)
			srv := fakeserver.New(t, opts...)
			replaySection(t, srv, sec, setup.tls, setup.source, substitutePlaceholders, func(got, want string) {
				t.Helper()
				got = fakeserver.NormalizeTimings(got)
				for i, n := range notReproduced {
					if n.heading == sec.heading && n.dovecot == want {
						used[i] = true
						want = n.fake
					}
				}
				if got != want {
					t.Errorf("server line differs from Dovecot's\n got: %q\nwant: %q", got, want)
				}
			})
		})
	}
	for i, n := range notReproduced {
		if !used[i] {
			t.Errorf("notReproduced entry never met (stale?): %q", n.dovecot)
		}
	}
}

// substitutePlaceholders puts real credentials where the capture hides them.
func substitutePlaceholders(line string) string {
	switch {
	case strings.Contains(line, "AUTHENTICATE XOAUTH2 <bad token>"):
		return strings.Replace(line, "<bad token>", b64("user="+wireUser+"\x01auth=Bearer bad-"+wireToken+"\x01\x01"), 1)
	case strings.Contains(line, "AUTHENTICATE OAUTHBEARER <bad token>"):
		return strings.Replace(line, "<bad token>", b64("n,a="+wireUser+",\x01auth=Bearer bad-"+wireToken+"\x01\x01"), 1)
	}
	return strings.NewReplacer("<wrong password>", "wrong-"+wirePassword, "<password>", wirePassword).Replace(line)
}

// TestPersonaDovecotExchanges checks, byte for byte, the Dovecot persona's
// answers beyond the capture: what it advertises works (ID, ENABLE,
// LITERAL+, AUTH=LOGIN) and its other status texts.
func TestPersonaDovecotExchanges(t *testing.T) {
	t.Parallel()
	srv := fakeserver.New(t, fakeserver.WithPersona(fakeserver.PersonaDovecot), fakeserver.WithMode(fakeserver.ModePlaintext),
		fakeserver.WithUser(wireUser, wirePassword), fakeserver.WithRestrictedMailbox("Restricted"))
	const (
		t0    = " " + fakeserver.DovecotTiming + "."
		login = "l LOGIN " + wireUser + " " + wirePassword
	)
	big := strings.Repeat("x", 6000)
	msg := "Subject: big\r\n\r\n" + big
	tests := []struct {
		name  string
		steps []string // client line, then the server lines expected (joined), alternately
	}{
		{"id before login", []string{`a ID ("name" "probe")`, `* ID ("name" "Dovecot")` + "\r\na OK ID completed.\r\n"}},
		{"id after login", []string{login, "l OK [CAPABILITY " + dovecotPostLoginFake + "] Logged in\r\n",
			"a ID NIL", `* ID ("name" "Dovecot")` + "\r\na OK ID completed" + t0 + "\r\n"}},
		{"enable before login", []string{"a ENABLE CONDSTORE", "* ENABLED\r\na OK ENABLE ignored in non-authenticated state.\r\n"}},
		{"noop before login", []string{"a NOOP", "a OK NOOP completed.\r\n"}},
		{"capability after login", []string{login, "l OK [CAPABILITY " + dovecotPostLoginFake + "] Logged in\r\n",
			"a CAPABILITY", "* CAPABILITY " + dovecotPostLoginFake + "\r\na OK Capability completed" + t0 + "\r\n"}},
		{"login caps untagged after capability", []string{"a CAPABILITY", "",
			login, "* CAPABILITY " + dovecotPostLoginFake + "\r\nl OK Logged in\r\n"}},
		{"login non-sync literals", []string{"l LOGIN {5+}\r\n" + wireUser + " {" + itoa(len(wirePassword)) + "+}\r\n" + wirePassword,
			"l OK [CAPABILITY " + dovecotPostLoginFake + "] Logged in\r\n"}},
		{"append big non-sync literal", []string{login, "",
			// Archive, not INBOX: "select and examine" runs in parallel and counts INBOX.
			"a APPEND Archive {" + itoa(len(msg)) + "+}\r\n" + msg, "a OK [APPENDUID 3 1] Append completed" + t0 + "\r\n",
			"s STATUS Archive (MESSAGES)", `* STATUS Archive (MESSAGES 1)` + "\r\ns OK Status completed" + t0 + "\r\n"}}, // Dovecot sends an atom
		{"auth login", []string{"a AUTHENTICATE LOGIN", "+ VXNlcm5hbWU6\r\n", b64(wireUser), "+ UGFzc3dvcmQ6\r\n",
			b64(wirePassword), "a OK [CAPABILITY " + dovecotPostLoginFake + "] Logged in\r\n"}},
		{"auth login initial response, wrong", []string{"a AUTHENTICATE LOGIN " + b64(wireUser), "+ UGFzc3dvcmQ6\r\n",
			b64("wrong"), "a NO [AUTHENTICATIONFAILED] Authentication failed.\r\n"}},
		{"xoauth2 no initial response", []string{"a AUTHENTICATE XOAUTH2", "+ \r\n",
			b64("user=" + wireUser + "\x01auth=Bearer wrong\x01\x01"), "+ " + b64(`{"status":"401","schemes":"bearer","scope":"mail"}`) + "\r\n",
			"", "a NO [AUTHENTICATIONFAILED] Authentication failed.\r\n"}},
		{"auth plain", []string{"a AUTHENTICATE PLAIN " + b64("\x00"+wireUser+"\x00"+wirePassword), "a OK [CAPABILITY " + dovecotPostLoginFake + "] Logged in\r\n"}},
		{"auth cancelled", []string{"a AUTHENTICATE PLAIN", "+ \r\n", "*", "a BAD Authentication aborted by client.\r\n"}},
		{"auth bad base64", []string{"a AUTHENTICATE PLAIN", "+ \r\n", "!!!", "a BAD Invalid base64 data in continued response\r\n"}},
		{"auth unknown mechanism", []string{"a AUTHENTICATE CRAM-MD5", "a NO [ALERT] Unsupported authentication mechanism.\r\n"}},
		{"select and examine", []string{login, "",
			"s SELECT INBOX", "", // untagged lines vary; the tagged one is checked next
			"e EXAMINE Missing", "* OK [CLOSED] Previous mailbox closed.\r\ne NO Mailbox doesn't exist: Missing" + t0 + "\r\n",
			"r STATUS Restricted (MESSAGES)", "r NO [NOPERM] Permission denied" + t0 + "\r\n",
			"s2 SELECT INBOX", "* 3 EXISTS\r\n* 0 RECENT\r\n* OK [UNSEEN 1] First unseen.\r\n* OK [UIDVALIDITY 1] UIDs valid\r\n" +
				"* OK [UIDNEXT 4] Predicted next UID\r\n* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n" +
				"* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted.\r\n" +
				"s2 OK [READ-WRITE] Select completed" + t0 + "\r\n",
			"u UID FETCH 1 (FLAGS)", "* 1 FETCH (UID 1 FLAGS ())\r\nu OK Fetch completed" + t0 + "\r\n",
			"o LOGOUT", "* BYE Logging out\r\no OK Logout completed" + t0 + "\r\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := greeted(t, srv)
			for i := 0; i < len(tt.steps); i += 2 {
				r.send(tt.steps[i] + "\r\n")
				got := reply(r, tt.steps[i])
				if want := tt.steps[i+1]; want != "" && got != want {
					t.Fatalf("after %.80q:\n got %q\nwant %q", tt.steps[i], got, want)
				}
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// reply reads the server's lines after a client line: up to the tagged
// reply for its tag, or a continuation request. A line that is not a
// command (a SASL reply) ends at any tagged reply.
func reply(r *rawConn, sent string) string {
	r.t.Helper()
	tag, _, isCmd := strings.Cut(sent, " ")
	var out []string
	for {
		l := r.line()
		out = append(out, l)
		if strings.HasPrefix(l, "+ ") || (isCmd && strings.HasPrefix(l, tag+" ")) || (!isCmd && !strings.HasPrefix(l, "* ")) {
			return strings.Join(out, "")
		}
	}
}

// TestPersonaFaultsOnTop: faults edit what the persona says.
func TestPersonaFaultsOnTop(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		specs []string
		steps []string // client line ("" for the greeting), then the lines expected
	}{
		{"greeting fault replaces the persona's", []string{"greeting:text=* OK hello"},
			[]string{"", "* OK hello\r\n"}},
		{"caps fault edits the persona's list", []string{"caps:-AUTH=LOGIN", "caps:+XFOO"},
			[]string{"", "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN AUTH=XOAUTH2 AUTH=OAUTHBEARER XFOO] Dovecot (Debian) ready.\r\n"}},
		{"rewrite fault after the persona's text", []string{"rewrite:LOGIN=failed.>failed!"},
			[]string{"", "", "a LOGIN alice wrong", "a NO [AUTHENTICATIONFAILED] Authentication failed!\r\n"}},
		{"reply fault instead of the persona's ID", []string{"reply:ID=NO go away"},
			[]string{"", "", "a ID NIL", "a NO go away\r\n"}},
		{"preauth greeting", []string{"greeting:preauth"},
			[]string{"", "* PREAUTH [CAPABILITY " + dovecotPostLoginFake + "] Logged in as alice\r\n",
				"a ID NIL", `* ID ("name" "Dovecot")` + "\r\na OK ID completed " + fakeserver.DovecotTiming + ".\r\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := fakeserver.New(t, fakeserver.WithPersona(fakeserver.PersonaDovecot), fakeserver.WithMode(fakeserver.ModePlaintext),
				withSpecs(t, tt.specs...))
			r := dialRaw(t, srv.Addr(), nil)
			for i := 0; i < len(tt.steps); i += 2 {
				var got string
				if tt.steps[i] == "" {
					got = r.line()
				} else {
					r.send(tt.steps[i] + "\r\n")
					got = reply(r, tt.steps[i])
				}
				if want := tt.steps[i+1]; want != "" && got != want {
					t.Fatalf("after %.80q:\n got %q\nwant %q", tt.steps[i], got, want)
				}
			}
		})
	}
}

// TestPersonaGoImapUnchanged: without WithPersona, and with PersonaGoImap,
// the fake speaks as go-imap does.
func TestPersonaGoImapUnchanged(t *testing.T) {
	t.Parallel()
	for _, opts := range [][]fakeserver.Option{nil, {fakeserver.WithPersona(fakeserver.PersonaGoImap)}} {
		srv := fakeserver.New(t, opts...)
		if srv.Persona() != fakeserver.PersonaGoImap {
			t.Fatalf("persona %v", srv.Persona())
		}
		r := dialRaw(t, srv.Addr(), srv.TLSConfig())
		if g := r.line(); g != tlsGreeting {
			t.Fatalf("greeting %q", g)
		}
		r.send("a CAPABILITY\r\n")
		if got, want := strings.Join(r.until("a "), ""), "* CAPABILITY IMAP4rev2 IMAP4rev1 SASL-IR LITERAL- ID AUTH=PLAIN AUTH=XOAUTH2 AUTH=OAUTHBEARER\r\na OK CAPABILITY completed\r\n"; got != want {
			t.Fatalf("CAPABILITY %q", got)
		}
		r.send("b LOGIN alice wrong\r\n")
		if got := r.line(); got != "b NO [AUTHENTICATIONFAILED] Authentication failed\r\n" {
			t.Fatalf("LOGIN %q", got)
		}
		r.send("c AUTHENTICATE LOGIN\r\n")
		if got := r.line(); got != "c NO SASL mechanism not supported\r\n" {
			t.Fatalf("AUTHENTICATE LOGIN %q", got)
		}
		r.send("d LOGOUT\r\n")
		if got := strings.Join(r.until("d "), ""); got != "* BYE Logging out\r\nd OK LOGOUT completed\r\n" {
			t.Fatalf("LOGOUT %q", got)
		}
	}
}

func TestParsePersona(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in      string
		want    fakeserver.Persona
		wantErr string
	}{
		{"goimap", fakeserver.PersonaGoImap, ""},
		{"dovecot", fakeserver.PersonaDovecot, ""},
		{"cyrus", fakeserver.PersonaCyrus, ""},
		{"Dovecot", 0, `unknown persona "Dovecot": use goimap, dovecot or cyrus`},
		{"", 0, `unknown persona "": use goimap, dovecot or cyrus`},
	} {
		got, err := fakeserver.ParsePersona(tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("ParsePersona(%q) error %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want || got.String() != tt.in {
			t.Errorf("ParsePersona(%q) = %v, %v", tt.in, got, err)
		}
	}
	if _, err := fakeserver.Start(fakeserver.WithPersona(fakeserver.Persona(9))); err == nil || err.Error() != "unknown persona Persona(9)" {
		t.Errorf("Start with a bad persona: %v", err)
	}
}

// TestPersonaDovecotAuthLoginSecrets: AUTH=LOGIN's password never reaches
// the records, and the record names the user.
func TestPersonaDovecotAuthLoginSecrets(t *testing.T) {
	t.Parallel()
	const pass = "canary-login-mech-4e1b"
	srv := fakeserver.New(t, fakeserver.WithPersona(fakeserver.PersonaDovecot), fakeserver.WithMode(fakeserver.ModePlaintext),
		fakeserver.WithUser("alice", pass))
	c := greeted(t, srv)
	c.send("a AUTHENTICATE LOGIN\r\n")
	c.line()
	c.send(b64("alice") + "\r\n")
	c.line()
	c.send(b64(pass) + "\r\n")
	if got := c.line(); !strings.HasPrefix(got, "a OK ") {
		t.Fatalf("AUTHENTICATE LOGIN: %q", got)
	}
	c.send("z LOGOUT\r\n")
	c.until("z OK")
	recs := waitEnded(t, srv, 1)
	js := jsonString(t, recs)
	if strings.Contains(js, pass) || strings.Contains(js, b64(pass)) {
		t.Fatalf("password leaked: %s", js)
	}
	if recs[0].User != "alice" {
		t.Fatalf("record user %q", recs[0].User)
	}
}

// TestPersonaDovecotWithClient: go-imap's client works through the Dovecot
// persona over STARTTLS, including an APPEND above LITERAL-'s 4 KiB, which
// needs the LITERAL+ the persona advertises.
func TestPersonaDovecotWithClient(t *testing.T) {
	t.Parallel()
	srv := fakeserver.New(t, fakeserver.WithPersona(fakeserver.PersonaDovecot), fakeserver.WithMode(fakeserver.ModeStartTLS))
	c := login(t, srv)
	if !c.Caps().Has(imap.CapLiteralPlus) || !c.Caps().Has(imap.CapID) || c.Caps().Has(imap.CapIMAP4rev2) {
		t.Fatalf("caps after login %v", c.Caps())
	}
	id, err := c.ID(&imap.IDData{Name: "probe"}).Wait()
	if err != nil || id.Name != "Dovecot" {
		t.Fatalf("ID %+v %v", id, err)
	}
	msg := "Subject: big\r\n\r\n" + strings.Repeat("y", 10000) + "\r\n"
	w := c.Append("Archive", int64(len(msg)), nil)
	if _, err := io.WriteString(w, msg); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Wait(); err != nil {
		t.Fatalf("APPEND: %v", err)
	}
	sel, err := c.Select("Archive", nil).Wait()
	if err != nil || sel.NumMessages != 1 {
		t.Fatalf("SELECT Archive: %+v %v", sel, err)
	}
	msgs, err := c.Fetch(imap.SeqSetNum(1), &imap.FetchOptions{RFC822Size: true}).Collect()
	if err != nil || len(msgs) != 1 || msgs[0].RFC822Size != int64(len(msg)) {
		t.Fatalf("FETCH: %+v %v", msgs, err)
	}
	if err := c.Logout().Wait(); err != nil {
		t.Fatal(err)
	}
}

// TestPersonaDovecotPipelinedID: the ID answer keeps its place after the
// responses to a command pipelined before it.
func TestPersonaDovecotPipelinedID(t *testing.T) {
	t.Parallel()
	srv := fakeserver.New(t, fakeserver.WithPersona(fakeserver.PersonaDovecot), fakeserver.WithMode(fakeserver.ModePlaintext))
	r := openInbox(t, srv)
	r.send("p FETCH 1:3 (BODY.PEEK[])\r\nq ID (\"name\" {5+}\r\nprobe)\r\n")
	got := strings.Join(r.until("q "), "")
	want := "p OK Fetch completed " + fakeserver.DovecotTiming + ".\r\n" + `* ID ("name" "Dovecot")` + "\r\nq OK ID completed " + fakeserver.DovecotTiming + ".\r\n"
	if !strings.HasSuffix(got, want) || strings.Count(got, " BODY[] {") != 3 {
		t.Fatalf("got %q\nwant 3 FETCH responses, then %q", got, want)
	}
}
