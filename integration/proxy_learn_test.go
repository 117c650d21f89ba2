package integration

import (
	"bufio"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/integration/realservers"
	"github.com/imapprobe/imapprobe/internal/testkit"
)

// TestProxyLiteralPasswordDovecot: a password sent as a literal, wrong
// then right, passes through the proxy to a real Dovecot, which refuses
// the one and accepts the other: learning the secrets disturbs nothing on
// the wire, and neither reaches the log, the records, GET /connections or
// the recording, raw or in base64. (Dovecot echoes no secret: the echo
// cases are fakeserver's TestProxyMasksEchoedSecrets, against a scripted
// upstream.)
func TestProxyLiteralPasswordDovecot(t *testing.T) {
	t.Parallel()
	l, err := processLauncher()
	realservers.Need(t, err)
	const user, pass, wrong = "lituser", "Lit-Canary-pw-58q", "Lit-Canary-wrong-3Kd"
	inst := startDovecot(t, l, realservers.Config{Users: []realservers.User{{Name: user, Password: pass}}})
	var logs testkit.Buffer
	dir := t.TempDir()
	px := fakeserver.New(t, fakeserver.WithUpstream(fakeserver.Upstream{URL: "imaps://" + hostPort(inst.Host, inst.TLSPort), RootCAs: inst.CAPool}),
		fakeserver.WithSessionRecordings(dir), fakeserver.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))), fakeserver.WithLogTranscripts())

	d := &tls.Dialer{Config: px.TLSConfig(), NetDialer: &net.Dialer{Timeout: 5 * time.Second}}
	c, err := d.DialContext(t.Context(), "tcp", px.TLSAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second)) // Dovecot delays a refusal by seconds
	br := bufio.NewReader(c)
	// until reads up to the line that starts with prefix and returns it
	until := func(prefix string) string {
		t.Helper()
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				t.Fatalf("waiting for %q: %v (got %q)", prefix, err, l)
			}
			if strings.HasPrefix(l, prefix) {
				return l
			}
		}
	}
	send := func(s string) {
		t.Helper()
		if _, err := c.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	until("* OK")
	for _, step := range []struct{ tag, secret, want string }{{"a", wrong, "a NO "}, {"b", pass, "b OK "}} {
		send(step.tag + " LOGIN " + user + " {" + strconv.Itoa(len(step.secret)) + "}\r\n")
		until("+")
		send(step.secret + "\r\n")
		if got := until(step.tag + " "); !strings.HasPrefix(got, step.want) {
			t.Fatalf("LOGIN with a literal password: %q, want %q", got, step.want)
		}
	}
	send("c LOGOUT\r\n")
	until("c OK")

	recs, err := px.WaitConnections(t.Context(), 1)
	if err != nil {
		t.Fatal(err)
	}
	api := httptest.NewRecorder()
	px.ControlHandler().ServeHTTP(api, httptest.NewRequest("GET", "http://127.0.0.1:1/connections", nil))
	js, err := json.Marshal(recs)
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{"log": logs.String(), "Connections()": string(js), "/connections": api.Body.String(),
		"recording": string(onlyRecording(t, px, dir))}
	for where, out := range outputs {
		for _, s := range []string{pass, wrong} {
			if strings.Contains(strings.ToLower(out), strings.ToLower(s)) || strings.Contains(out, base64.StdEncoding.EncodeToString([]byte(s))) {
				t.Errorf("the %s holds %q:\n%s", where, s, out)
			}
		}
	}
	for _, want := range []string{"C ", " a LOGIN " + user + " [redacted]\n", " b LOGIN " + user + " [redacted]\n", " b OK "} {
		if !strings.Contains(outputs["recording"], want) {
			t.Errorf("the recording has no %q to check:\n%s", want, outputs["recording"])
		}
	}
}
