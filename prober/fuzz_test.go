package prober

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"
)

const fuzzCanary = "Fuzz-Canary-Pw-91"

// FuzzServerBytes drives a whole probe against a scripted server over
// net.Pipe: whatever the server sends, the probe returns, reports every
// step, and the password never appears in the JSON report, even where the
// server echoes it.
func FuzzServerBytes(f *testing.F) {
	healthy := "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] ready\r\n" +
		"P1 OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] done\r\n" +
		"P2 OK [CAPABILITY IMAP4rev1 IDLE] authenticated\r\n" +
		"* LIST () \"/\" INBOX\r\nT1 OK done\r\n" +
		"* 1 EXISTS\r\n* OK [UIDVALIDITY 1] ok\r\nT2 OK [READ-ONLY] done\r\n" +
		"* 1 FETCH (UID 1 RFC822.SIZE 5 BODY[]<0> {5}\r\nhello)\r\nT3 OK done\r\n" +
		"* BYE bye\r\nT4 OK done\r\n"
	for _, seed := range []string{
		healthy,
		"* OK ready\r\n* CAPABILITY IMAP4rev1 AUTH=OAUTHBEARER\r\nP1 OK done\r\n+ eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIn0=\r\nP2 NO bad\r\n",
		"* OK ready\r\nP1 OK [CAPABILITY IMAP4rev1] ok\r\n+ \r\nP2 OK [CAPABILITY IMAP4rev1 X-" + fuzzCanary + "] in\r\n* LIST () \"/\" {12}\r\nAb{99999999}\r\nT1 OK done\r\n",
		"* OK ready\r\nP1 OK [CAPABILITY IMAP4rev1] ok\r\nP2 NO [AUTHENTICATIONFAILED] wrong password " + fuzzCanary + "\r\n",
		"* OK ready\r\nP1 OK [CAPABILITY IMAP4rev1 LITERAL+] ok\r\n+ go ahead\r\nP2 OK in\r\n* LIST (\\Sent) \"/\" \"" + fuzzCanary + "\"\r\nT1 OK\r\nT2 NO [NONEXISTENT] no\r\n",
		"* PREAUTH [CAPABILITY IMAP4rev2] hi\r\n* LIST () \"/\" {20}\r\n{20}\r\n\r\nxxxxxxxxxx\r\nT1 OK\r\n",
		"* BYE [ALERT] Maintenance until 18:00 UTC\r\n",
		"* OK ready\r\nP1 OK ok\r\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, script []byte) {
		o := Options{Password: fuzzCanary, AllowPlaintextAuth: true, StepTimeout: 250 * time.Millisecond, Timeout: 3 * time.Second,
			DialContext: func(context.Context, string, string) (net.Conn, error) {
				client, server := net.Pipe()
				go func() { _, _ = io.Copy(io.Discard, server) }()
				go func() {
					_, _ = server.Write(script)
					_ = server.Close()
				}()
				return client, nil
			}}
		began := time.Now()
		watchdog := time.AfterFunc(10*time.Second, func() {
			buf := make([]byte, 1<<20)
			panic("probe hung:\n" + string(buf[:runtime.Stack(buf, true)]))
		})
		defer watchdog.Stop()
		r := Probe(context.Background(), Target{Host: "127.0.0.1", Port: 143, TLS: TLSNone, User: "alice"}, o)
		if took := time.Since(began); took > 5*time.Second {
			t.Fatalf("probe took %s against a %s total deadline", took, o.Timeout)
		}
		if len(r.Steps) != len(Steps) || r.Result == nil {
			t.Fatalf("%d steps, result %v", len(r.Steps), r.Result)
		}
		for _, s := range r.Steps {
			if d := s.Diagnosis; d != nil && strings.HasPrefix(d.Detail, panicDetail) {
				t.Fatalf("step %s panicked: %s", s.Name, d.Detail)
			}
		}
		for _, c := range r.Codes() {
			if _, ok := Lookup(c); !ok {
				t.Fatalf("code %s is not in the catalog", c)
			}
		}
		out, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(out), fuzzCanary) {
			t.Fatalf("the password is in the report: %s", out)
		}
	})
}
