package fakeserver_test

import (
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/internal/testkit"
)

// recordLeakCases are client dialogues that put a secret where the
// records used to pick up names: a lone LOGIN argument, out-of-turn
// lines, LOGIN with a tab or a double space, OAUTHBEARER's a= field.
// Each string is one write, and one server line is read after each but
// the last. In the "seeded only" cases the secret is where the protocol
// puts the user name: only a seeded secret can be recognised there.
func recordLeakCases(secret string) map[string][]string {
	lit := "{" + strconv.Itoa(len(secret)) + "}"
	return map[string][]string{
		"one-argument LOGIN":          {"a LOGIN " + secret + "\r\n"},
		"one-argument LOGIN, quoted":  {`a LOGIN "` + secret + `"` + "\r\n"},
		"one-argument LOGIN, literal": {"a LOGIN " + lit + "\r\n", secret + "\r\n"},
		"out of turn, as tag":         {secret + " more words\r\n"},
		"out of turn, as name":        {"t1 " + secret + "\r\n"},
		"out of turn, after login":    {"a LOGIN alice wrong\r\n", "t2 " + secret + " x\r\n"},
		"LOGIN with tabs":             {"a LOGIN\talice\t" + secret + "\r\n"},
		"LOGIN, tab before secret":    {"a LOGIN alice\t" + secret + " x\r\n"},
		"LOGIN, double space":         {"a LOGIN  alice " + secret + "\r\n"},
		"LOGIN, double space 2":       {"a LOGIN alice  " + secret + "\r\n"},
		"UID and secret":              {"a UID " + secret + " 1\r\n"},
		"OAUTHBEARER a=secret":        {"a AUTHENTICATE OAUTHBEARER " + b64("n,a="+secret+",\x01auth=Bearer "+secret+"\x01\x01") + "\r\n", "AQ==\r\n"},
		"OAUTHBEARER a=secret, no initial response": {"a AUTHENTICATE OAUTHBEARER\r\n",
			b64("n,a="+secret+",\x01auth=Bearer x\x01\x01") + "\r\n", "AQ==\r\n"},
		"XOAUTH2 user=secret (seeded only)":   {"a AUTHENTICATE XOAUTH2 " + b64("user="+secret+"\x01auth=Bearer "+secret+"\x01\x01") + "\r\n", "\r\n"},
		"PLAIN, secret as user (seeded only)": {"a AUTHENTICATE PLAIN " + b64("\x00"+secret+"\x00x") + "\r\n"},
		// Arguments are recorded: a secret in LOGIN's or AUTHENTICATE's
		// must not be, nor a seeded one anywhere.
		"LOGIN":                        {"a LOGIN alice " + secret + "\r\n"},
		"LOGIN, quoted":                {`a LOGIN "alice" "` + secret + `"` + "\r\n"},
		"LOGIN, literal password":      {"a LOGIN alice " + lit + "\r\n", secret + "\r\n"},
		"secret as mechanism":          {"a AUTHENTICATE " + secret + "\r\n"},
		"secret as mechanism, with IR": {"a AUTHENTICATE " + secret + " " + b64(secret) + "\r\n"},
		"SELECT secret (seeded only)":  {"a SELECT " + secret + "\r\n"},
		"SELECT base64 (seeded only)":  {"a SELECT " + b64("\x00alice\x00"+secret) + "\r\n"},
		"FETCH items (seeded only)":    {"a LOGIN alice x\r\n", "b FETCH 1 (BODY[" + strings.ToUpper(secret) + "])\r\n"},
	}
}

// talk runs one dialogue on a fresh connection, then LOGOUT, and reads
// until the server closes. Writes may fail once the server has hung up.
func talk(t *testing.T, srv *fakeserver.Server, writes []string) {
	t.Helper()
	r := greeted(t, srv)
	defer r.nc.Close()
	for i, w := range writes {
		if _, err := io.WriteString(r.nc, w); err != nil {
			return
		}
		if i < len(writes)-1 {
			if _, err := r.br.ReadString('\n'); err != nil {
				return
			}
		}
	}
	_, _ = io.WriteString(r.nc, "z LOGOUT\r\n")
	_, _ = io.Copy(io.Discard, r.br)
}

// TestRecordsNeverHoldSecrets sends each dialogue over a real socket with
// canary secrets and checks that no form of them reaches Connections(),
// the control API's /connections, or the log (with transcripts). The
// seeded password and token are checked everywhere; a wrong password,
// which only syntax can catch, in the records' fields and the log's
// connection lines.
func TestRecordsNeverHoldSecrets(t *testing.T) {
	t.Parallel()
	const pass, token, wrong = "canary-pw-1f3a", "canary-tok-77c2", "canary-wrong-5e1c"
	for _, secret := range []string{pass, token, wrong} {
		for name, writes := range recordLeakCases(secret) {
			if secret == wrong && strings.HasSuffix(name, "(seeded only)") {
				continue
			}
			t.Run(secret+"/"+name, func(t *testing.T) {
				t.Parallel()
				var logBuf testkit.Buffer
				srv := fakeserver.New(t, fakeserver.WithMode(fakeserver.ModePlaintext),
					fakeserver.WithUser("alice", pass), fakeserver.WithToken("alice", token),
					fakeserver.WithLogger(newTextLogger(&logBuf)), fakeserver.WithLogTranscripts())
				talk(t, srv, writes)
				recs := waitEnded(t, srv, 1)
				_, httpRecs := controlReq{method: "GET", path: "/connections"}.do(t, controlAPI(t, srv))

				fields := recs[0]
				fields.Transcript = nil
				var connLines []string
				for _, l := range strings.Split(logBuf.String(), "\n") {
					if strings.Contains(l, "msg=connection") {
						connLines = append(connLines, l)
					}
				}
				outputs := map[string]string{
					"record fields":        jsonString(t, fields),
					"log connection lines": strings.Join(connLines, "\n"),
				}
				if secret != wrong {
					outputs["Connections()"] = jsonString(t, recs)
					outputs["/connections"] = httpRecs
					outputs["log"] = logBuf.String()
				}
				forms := []string{secret, strings.ToUpper(secret), b64(secret)}
				for _, w := range writes {
					if f := strings.Fields(w); len(f) > 0 && len(f[len(f)-1]) > 12 && (strings.Contains(w, "AUTHENTICATE") || strings.Contains(name, "base64")) {
						forms = append(forms, f[len(f)-1]) // the SASL payload
					}
				}
				for where, out := range outputs {
					for _, form := range forms {
						if strings.Contains(strings.ToLower(out), strings.ToLower(form)) {
							t.Errorf("%q in %s:\n%s", form, where, out)
						}
					}
				}
				if len(recs[0].Commands) == 0 {
					t.Fatalf("no command recorded: %+v", recs[0])
				}
			})
		}
	}
}
