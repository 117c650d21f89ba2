package fakeserver_test

import (
	"encoding/base64"
	"strconv"
	"strings"
	"testing"

	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/internal/testkit"
)

// echoCanary is the client's secret in the echo tests: the proxy is told
// nothing of it and must learn it from the client's lines.
const echoCanary = "Echo-Canary-7Hq2x"

// echoLongToken is an OAuth token longer than a transcript line keeps
// (1 KiB), so the proxy learns only the start its base64 leaves room for
// (some 720 bytes); echoTailCanary is past that start, where an echo's
// line (1 KiB of raw text) still shows it.
const echoTailCanary = "Tail-Canary-Q9z"

var echoLongToken = echoCanary + strings.Repeat("-Zm9vYmFy", 90) + echoTailCanary + strings.Repeat("-Zm9vYmFy", 30)

// echoStep is one client write and the prefix of the last line to read
// after it.
type echoStep struct{ write, until string }

// echoCases are dialogues in which the upstream echoes the client's
// secret: raw, upper-cased, in base64, as the command line it quotes.
func echoCases() map[string]struct {
	steps  []echoStep
	script func(s *echoSession, tag, name, line string)
} {
	c, b64c := echoCanary, b64(echoCanary)
	lit := "{" + strconv.Itoa(len(c)) + "}"
	no := func(s *echoSession, tag, _, _ string) {
		s.send(tag + " NO [AUTHENTICATIONFAILED] wrong password " + c + " (" + b64c + ", " + strings.ToUpper(c) + ")")
	}
	bad := func(s *echoSession, tag, _, line string) {
		s.send(tag + " BAD unknown command: " + strings.ReplaceAll(line, "\r\n", " "))
	}
	return map[string]struct {
		steps  []echoStep
		script func(s *echoSession, tag, name, line string)
	}{
		"NO after LOGIN":                   {[]echoStep{{"a LOGIN alice " + c + "\r\n", "a "}}, no},
		"BAD quoting LOGIN":                {[]echoStep{{`a LOGIN "alice" "` + c + `"` + "\r\n", "a "}}, bad},
		"literal password, NO":             {[]echoStep{{"a LOGIN alice " + lit + "\r\n", "+"}, {c + "\r\n", "a "}}, no},
		"literal password, BAD quoting it": {[]echoStep{{"a LOGIN alice " + lit + "\r\n", "+"}, {c + "\r\n", "a "}}, bad},
		"untagged after AUTHENTICATE PLAIN": {
			[]echoStep{{"a AUTHENTICATE PLAIN\r\n", "+"}, {b64("\x00alice\x00"+c) + "\r\n", "a "}},
			func(s *echoSession, tag, _, _ string) {
				s.send("+ ")
				resp, _ := s.readLine()
				raw, _ := base64.StdEncoding.DecodeString(resp)
				_, pass, _ := strings.Cut(string(raw[1:]), "\x00")
				s.send("* OK [ALERT] you are alice, password "+pass+", sent as "+resp, tag+" NO [AUTHENTICATIONFAILED] no")
			}},
		"token after XOAUTH2": {
			[]echoStep{{"a AUTHENTICATE XOAUTH2 " + b64("user=alice\x01auth=Bearer "+c+"\x01\x01") + "\r\n", "+"}, {"\r\n", "a "}},
			func(s *echoSession, tag, _, _ string) {
				s.send("+ " + b64(`{"status":"401","token":"`+c+`"}`))
				_, _ = s.readLine()
				s.send("* BAD [ALERT] token "+c+" rejected", tag+" NO [AUTHENTICATIONFAILED] token "+b64c+" expired")
			}},
		"long token after XOAUTH2": {
			[]echoStep{{"a AUTHENTICATE XOAUTH2 " + b64("user=alice\x01auth=Bearer "+echoLongToken+"\x01\x01") + "\r\n", "a "}},
			func(s *echoSession, tag, _, _ string) {
				s.send("* BAD [ALERT] token "+echoLongToken+" rejected", tag+" NO [AUTHENTICATIONFAILED] no")
			}},
		"token after OAUTHBEARER": {
			[]echoStep{{"a AUTHENTICATE OAUTHBEARER " + b64("n,a=alice,\x01auth=Bearer "+c+"\x01\x01") + "\r\n", "a "}},
			func(s *echoSession, tag, _, _ string) { s.send(tag + " NO [AUTHENTICATIONFAILED] bearer " + c) }},
		"password after AUTHENTICATE LOGIN": {
			[]echoStep{{"a AUTHENTICATE LOGIN\r\n", "+"}, {b64("alice") + "\r\n", "+"}, {b64c + "\r\n", "a "}},
			func(s *echoSession, tag, _, _ string) {
				s.send("+ " + b64("Username:"))
				_, _ = s.readLine()
				s.send("+ " + b64("Password:"))
				_, _ = s.readLine()
				s.send(tag + " NO [AUTHENTICATIONFAILED] password " + c + " is wrong")
			}},
	}
}

// TestProxyMasksEchoedSecrets: an upstream that echoes the client's
// password or token (in a NO, a BAD quoting the command, an untagged
// line, an error challenge) leaks it into no output of the proxy: not the
// log with transcripts, not Connections(), not GET /connections, not the
// session recording. The client itself sees the echo, unmasked, so the
// check has something to find.
func TestProxyMasksEchoedSecrets(t *testing.T) {
	t.Parallel()
	for name, tc := range echoCases() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			url, pool := startEchoUpstream(t, tc.script)
			var logs testkit.Buffer
			dir := t.TempDir()
			px := fakeserver.New(t, fakeserver.WithLogger(newTextLogger(&logs)), fakeserver.WithLogTranscripts(),
				fakeserver.WithSessionRecordings(dir), fakeserver.WithUpstream(fakeserver.Upstream{URL: url, RootCAs: pool}))
			r := dialRaw(t, px.Addr(), px.TLSConfig())
			if g := r.line(); !strings.HasPrefix(g, "* OK [CAPABILITY ") {
				t.Fatalf("greeting %q", g)
			}
			var seen []string
			for _, st := range tc.steps {
				r.send(st.write)
				seen = append(seen, r.until(st.until)...)
			}
			if !strings.Contains(strings.Join(seen, ""), echoCanary) {
				t.Fatalf("the client never saw the echo: %q", seen)
			}
			r.send("z LOGOUT\r\n")
			r.until("z ")
			recs := waitEnded(t, px, 1)
			_, api := controlReq{method: "GET", path: "/connections"}.do(t, controlAPI(t, px))
			assertNoEcho(t, map[string]string{
				"log": logs.String(), "Connections()": jsonString(t, recs), "/connections": api,
				"recording": recordingText(t, dir),
			})
			if tr := jsonString(t, recs[0].Transcript); !strings.Contains(tr, `"dir":"S","text":"a `) || !strings.Contains(tr, "[redacted]") {
				t.Fatalf("the transcript has no masked reply to check: %s", tr)
			}
		})
	}
}

// assertNoEcho fails for each output that shows the canary in any form
// it travelled in: raw in any case, base64, or a SASL payload's base64.
func assertNoEcho(t *testing.T, outputs map[string]string) {
	t.Helper()
	c := echoCanary
	exact := []string{b64(c), b64("\x00alice\x00" + c), b64("user=alice\x01auth=Bearer " + c + "\x01\x01"),
		b64(`{"status":"401","token":"` + c + `"}`), b64("n,a=alice,\x01auth=Bearer " + c + "\x01\x01")}
	for where, out := range outputs {
		for _, raw := range []string{c, echoTailCanary} {
			if strings.Contains(strings.ToLower(out), strings.ToLower(raw)) {
				t.Errorf("the %s holds %q:\n%s", where, raw, out)
			}
		}
		for _, form := range exact {
			if strings.Contains(out, form) || strings.Contains(out, strings.TrimRight(form, "=")) {
				t.Errorf("the %s holds %q:\n%s", where, form, out)
			}
		}
	}
}

// recordingText is the one recording in dir (decoded, so well formed).
func recordingText(t *testing.T, dir string) string {
	t.Helper()
	_, texts := readRecordings(t, dir)
	if len(texts) != 1 {
		t.Fatalf("%d recordings in %s, want 1", len(texts), dir)
	}
	return texts[0]
}
