package integration

import (
	"bytes"
	"context"
	"encoding/base64"
	"flag"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/faults"
	"github.com/imapprobe/imapprobe/integration/realservers"
	"github.com/imapprobe/imapprobe/internal/testkit"
	"github.com/imapprobe/imapprobe/prober"
	"github.com/imapprobe/imapprobe/recording"
	"github.com/imapprobe/imapprobe/replay"
)

// The round trip through a real server: a probe of proxy + Dovecot under
// a fault, recorded twice (by the probe, as imapprobe --record does, and
// by the proxy, as fakeimapd --upstream --record does), each recording
// replayed and probed: every step gets the same status and codes as
// against Dovecot, and no recording, log line or control API answer holds
// a password or token.

// Canaries: the recording user's secrets, and a wrong password.
const (
	recPassword = "Rec-Canary-pw-41x"
	recToken    = "Rec-Canary-tok-93k"
	recWrong    = "Rec-Canary-wrong-7Jm"
	recUser     = "recuser"
)

// updateRecordings rewrites the catalog's Dovecot recordings
// (scenarios/recordings/dovecot-*.rec) from the cases that name one.
var updateRecordings = flag.Bool("update-recordings", false, "rewrite scenarios/recordings/dovecot-*.rec")

func TestProxyRecordRoundTrip(t *testing.T) {
	t.Parallel()
	l, err := processLauncher()
	realservers.Need(t, err)
	inst := startDovecot(t, l, realservers.Config{Users: []realservers.User{{Name: recUser, Password: recPassword, Token: recToken,
		Mailboxes: []realservers.Mailbox{{Name: "INBOX", Messages: 3}, {Name: "Restricted", Messages: 1, Denied: true}}}}})
	upstream := "imaps://" + hostPort(inst.Host, inst.TLSPort)
	cases := []struct {
		name    string
		specs   []string
		tls     prober.TLSMode
		auth    string
		secret  string
		slow    time.Duration
		code    prober.Code // the verdict's code: the failure, or the first warning; "" for a clean pass
		mailbox string
		keep    string // the catalog's recording of this case (-update-recordings)
	}{
		{"healthy over STARTTLS", nil, prober.TLSStartTLS, "", recPassword, 0, "", "", ""},
		{"healthy LOGIN", nil, prober.TLSImplicit, "login", recPassword, 0, "", "", ""},
		{"AUTHENTICATE on a continuation line", []string{"caps:-SASL-IR"}, prober.TLSImplicit, "plain", recPassword, 0, "", "", ""},
		{"XOAUTH2 token", nil, prober.TLSImplicit, "xoauth2", recToken, 0, "", "", ""},
		{"Dovecot refuses the password", nil, prober.TLSImplicit, "", recWrong, 0, "auth.failed", "", "dovecot-wrong-password"},
		{"Dovecot's ACL denies the mailbox", nil, prober.TLSStartTLS, "", recPassword, 0, "mailbox.no_permission", "Restricted", "dovecot-acl-denied"},
		{"greeting BYE", []string{"greeting:bye"}, prober.TLSImplicit, "", recPassword, 0, "greeting.bye", "", ""},
		{"STARTTLS stripped", []string{"caps:-STARTTLS"}, prober.TLSStartTLS, "", recPassword, 0, "starttls.unavailable", "", ""},
		{"AUTHENTICATE refused", []string{"reply:AUTHENTICATE=NO [AUTHENTICATIONFAILED] Authentication failed."}, prober.TLSImplicit, "", recPassword, 0, "auth.failed", "", ""},
		{"LIST dropped", []string{"drop:LIST"}, prober.TLSImplicit, "", recPassword, 0, "list.dropped", "", ""},
		{"EXAMINE refused", []string{"reply:EXAMINE=NO [NOPERM] Permission denied"}, prober.TLSImplicit, "", recPassword, 0, "mailbox.no_permission", "", ""},
		// wide: under CI load Dovecot took over 0.7 s to answer AUTHENTICATE
		{"EXAMINE slow", []string{"delay:EXAMINE=3500ms"}, prober.TLSImplicit, "", recPassword, 2500 * time.Millisecond, "mailbox.slow", "", ""},
		{"FETCH cut", []string{"drop:FETCH+20"}, prober.TLSImplicit, "", recPassword, 0, "fetch.dropped", "", "dovecot-fetch-cut"},
		{"FETCH endless", []string{"garbage:FETCH=endless"}, prober.TLSImplicit, "", recPassword, 0, "fetch.malformed", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var logs testkit.Buffer
			dir := t.TempDir()
			opts := []fakeserver.Option{fakeserver.WithMode(fakeserver.ModeStartTLS), fakeserver.WithBothPorts(),
				fakeserver.WithUpstream(fakeserver.Upstream{URL: upstream, RootCAs: inst.CAPool}),
				fakeserver.WithSessionRecordings(dir), fakeserver.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))), fakeserver.WithLogTranscripts()}
			for _, s := range tc.specs {
				opts = append(opts, fakeserver.WithFaults(faults.MustParse(s)))
			}
			px := fakeserver.New(t, opts...)
			target := prober.Target{Host: "127.0.0.1", Port: portOf(px.TLSAddr()), TLS: tc.tls, User: recUser, Mailbox: tc.mailbox}
			if tc.tls == prober.TLSStartTLS {
				target.Port = portOf(px.PlainAddr())
			}
			popts := prober.Options{Auth: tc.auth, RootCAs: px.CAPool(), StepTimeout: 10 * time.Second,
				Timeout: time.Minute, Slow: orSlow(tc.slow)}
			if strings.HasPrefix(tc.auth, "x") {
				popts.Token = tc.secret
			} else {
				popts.Password = tc.secret
			}
			orig := probeWith(target, popts)
			if got := verdictCode(orig); got != tc.code {
				t.Fatalf("proxy + Dovecot gave %q, want %q: %s", got, tc.code, stepVerdicts(orig))
			}
			proxyRec := onlyRecording(t, px, dir)
			var probeRec bytes.Buffer
			if err := recording.Encode(&probeRec, orig.Recording(popts)); err != nil {
				t.Fatal(err)
			}
			ctl := httptest.NewRecorder()
			px.ControlHandler().ServeHTTP(ctl, httptest.NewRequest("GET", "http://127.0.0.1:1/connections", nil))
			outputs := map[string]string{"the probe's recording": probeRec.String(), "the proxy's recording": string(proxyRec),
				"the proxy's log": logs.String(), "the control API": ctl.Body.String()}
			for what, out := range outputs {
				if leak := secretIn(out); leak != "" {
					t.Errorf("%s holds %s:\n%s", what, leak, out)
				}
			}
			if authSent(orig) && !strings.Contains(string(proxyRec), "[redacted]") {
				t.Errorf("the proxy's recording masks no login:\n%s", proxyRec)
			}
			if tc.keep != "" && *updateRecordings {
				keepRecording(t, tc.keep, orig.Recording(popts), "a probe of fakeimapd --upstream in front of Dovecot "+inst.Version+": "+tc.name+
					map[bool]string{true: ", under " + strings.Join(tc.specs, " + "), false: ""}[len(tc.specs) > 0])
			}
			want := stepVerdicts(orig)
			for what, text := range map[string]string{"probe": probeRec.String(), "proxy": string(proxyRec)} {
				again := probeReplay(t, text, target, popts)
				if got := stepVerdicts(again); got != want {
					t.Errorf("the replay of the %s's recording:\n got %s\nwant %s\nrecording:\n%s", what, got, want, text)
				}
			}
		})
	}
}

// onlyRecording waits for px's one connection to end and returns the one
// recording it wrote into dir.
func onlyRecording(t *testing.T, px *fakeserver.Server, dir string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := px.WaitConnections(ctx, 1); err != nil {
		t.Fatal(err)
	}
	paths, _ := filepath.Glob(filepath.Join(dir, "*"+recording.Ext))
	if len(paths) != 1 {
		t.Fatalf("proxy recordings %q, want 1 for the one connection", paths)
	}
	b, err := os.ReadFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// keepRecording writes rec as the catalog's recording name, saying how
// it was made.
func keepRecording(t *testing.T, name string, rec *recording.Recording, what string) {
	rec.Comments = []string{"Recorded by go test ./integration -run TestProxyRecordRoundTrip -update-recordings:",
		what + "."}
	var b bytes.Buffer
	if err := recording.Encode(&b, rec); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("..", "scenarios", "recordings", name+recording.Ext), b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// authSent reports a probe that got as far as sending its credentials.
func authSent(rep *prober.Report) bool {
	for _, s := range rep.Steps {
		if s.Name == prober.StepAuth {
			return s.Status != prober.StatusSkipped
		}
	}
	return false
}

func orSlow(d time.Duration) time.Duration {
	if d == 0 {
		return time.Hour
	}
	return d
}

func probeWith(target prober.Target, o prober.Options) *prober.Report {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return prober.Probe(ctx, target, o)
}

// verdictCode is the failure's code, else the first warning's.
func verdictCode(rep *prober.Report) prober.Code {
	if _, code := rep.Failure(); code != "" {
		return code
	}
	for _, s := range rep.Steps {
		for _, w := range s.Warnings {
			return w.Code
		}
	}
	return ""
}

// probeReplay serves a recording's text with its timing and probes it as
// target and o say, but on the replay's address and CA.
func probeReplay(t *testing.T, text string, target prober.Target, o prober.Options) *prober.Report {
	t.Helper()
	rec, err := recording.Decode(strings.NewReader(text))
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	rs, err := replay.Start(rec, replay.WithTiming(true))
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	target.Host, target.Port = "127.0.0.1", portOf(rs.Addr())
	o.RootCAs = rs.CAPool()
	return probeWith(target, o)
}

// secretIn names the canary out shows, raw or in base64 (a SASL payload
// at any alignment), or "".
func secretIn(out string) string {
	for _, s := range []string{recPassword, recToken, recWrong} {
		if strings.Contains(out, s) {
			return s
		}
		for _, payload := range []string{"\x00" + recUser + "\x00" + s, "auth=Bearer " + s} {
			for off := range 3 {
				enc := base64.StdEncoding.EncodeToString([]byte(payload[off:]))
				if strings.Contains(out, enc[4:len(enc)-4]) {
					return "base64 of " + s
				}
			}
		}
	}
	return ""
}
