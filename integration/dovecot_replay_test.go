package integration

import (
	"bytes"
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/imapprobe/imapprobe/integration/realservers"
	"github.com/imapprobe/imapprobe/prober"
	"github.com/imapprobe/imapprobe/recording"
	"github.com/imapprobe/imapprobe/replay"
)

// TestDovecotReplay records probes of a real Dovecot (healthy, and failing
// in several ways), replays each recording and probes the replay: every
// step gets the same status and codes, and no recording holds a secret.
func TestDovecotReplay(t *testing.T) {
	l, err := processLauncher()
	realservers.Need(t, err)
	inst := startDovecot(t, l, realservers.Config{})
	host, portStr, _ := net.SplitHostPort(inst.TLSAddr())
	tlsPort, _ := strconv.Atoi(portStr)
	_, plainStr, _ := net.SplitHostPort(inst.Addr())
	plainPort, _ := strconv.Atoi(plainStr)
	pw, tok := realservers.DefaultPassword, realservers.DefaultToken
	for _, tc := range []struct {
		name    string
		tls     prober.TLSMode
		mailbox string
		auth    string
		secret  string
		code    prober.Code
	}{
		{"healthy/starttls", prober.TLSStartTLS, "", "", pw, ""},
		{"healthy/implicit", prober.TLSImplicit, "", "", pw, ""},
		{"wrong-password", prober.TLSImplicit, "", "", wrongSecret, "auth.failed"},
		{"unknown-mailbox", prober.TLSImplicit, "Nonexistent", "", pw, "mailbox.not_found"},
		{"acl-denied-mailbox", prober.TLSStartTLS, realservers.DeniedMailbox, "", pw, "mailbox.no_permission"},
		{"xoauth2/bad-token", prober.TLSImplicit, "", "xoauth2", wrongSecret, "auth.token_rejected"},
		{"oauthbearer/good-token", prober.TLSImplicit, "", "oauthbearer", tok, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			target := prober.Target{Host: host, Port: tlsPort, TLS: tc.tls, User: realservers.DefaultUser, Mailbox: tc.mailbox}
			if tc.tls == prober.TLSStartTLS {
				target.Port = plainPort
			}
			opts := prober.Options{Auth: tc.auth, RootCAs: inst.CAPool, StepTimeout: 30 * time.Second,
				Timeout: 2 * time.Minute, Slow: time.Hour}
			if strings.HasPrefix(tc.auth, "x") || strings.HasPrefix(tc.auth, "o") {
				opts.Token = tc.secret
			} else {
				opts.Password = tc.secret
			}
			orig := prober.Probe(context.Background(), target, opts)
			if _, code := orig.Failure(); code != tc.code {
				t.Fatalf("Dovecot gave %q, want %q", code, tc.code)
			}
			var buf bytes.Buffer
			if err := recording.Encode(&buf, orig.Recording(opts)); err != nil {
				t.Fatal(err)
			}
			text := buf.String()
			for _, secret := range []string{pw, tok, wrongSecret} {
				if strings.Contains(text, secret) {
					t.Errorf("the recording holds a secret:\n%s", text)
				}
			}
			rec, err := recording.Decode(strings.NewReader(text))
			if err != nil {
				t.Fatal(err)
			}
			rs, err := replay.Start(rec, replay.WithTiming(true))
			if err != nil {
				t.Fatal(err)
			}
			defer rs.Close()
			_, rp, _ := net.SplitHostPort(rs.Addr())
			target.Host, target.Port = "127.0.0.1", 0
			target.Port, _ = strconv.Atoi(rp)
			opts.RootCAs = rs.CAPool()
			again := prober.Probe(context.Background(), target, opts)
			if w, g := stepVerdicts(orig), stepVerdicts(again); w != g {
				t.Errorf("replay verdicts differ:\n got %s\nwant %s\nrecording:\n%s", g, w, text)
			}
		})
	}
}

// stepVerdicts lists every step's status and codes.
func stepVerdicts(rep *prober.Report) string {
	var out []string
	for _, s := range rep.Steps {
		v := s.Name + " " + string(s.Status)
		for _, w := range s.Warnings {
			v += " " + string(w.Code)
		}
		if s.Diagnosis != nil {
			v += " " + string(s.Diagnosis.Code)
		}
		out = append(out, v)
	}
	return strings.Join(out, ", ")
}
