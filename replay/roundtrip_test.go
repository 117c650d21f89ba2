package replay_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/prober"
	"github.com/imapprobe/imapprobe/recording"
	"github.com/imapprobe/imapprobe/replay"
	"github.com/imapprobe/imapprobe/scenarios"
)

// logBuf collects a replay's log lines.
type logBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuf) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(&l.b, format+"\n", args...)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// roundTrip probes a fake server in the scenario, records the probe,
// replays the recording and probes the replay. It returns both reports,
// the recording's text, the replay's log and the password used.
func roundTrip(t *testing.T, s scenarios.Scenario) (orig, again *prober.Report, text, log, password string) {
	t.Helper()
	return roundTripWith(t, s, "canary-pw-"+strconv.Itoa(int(s.Name[0]))+"-Zq81xK")
}

func roundTripWith(t *testing.T, s scenarios.Scenario, password string) (orig, again *prober.Report, text, log, _ string) {
	t.Helper()
	token := "canary-tok-Jq27Pw"
	opts, err := s.ServerOptions(fakeserver.DefaultUser, password, token)
	if err != nil {
		t.Fatal(err)
	}
	srv := fakeserver.New(t, opts...)
	target, popts, err := s.ProbeSettings(srv, password, token)
	if err != nil {
		t.Fatal(err)
	}
	orig = prober.Probe(context.Background(), target, popts)

	var buf bytes.Buffer
	if err := recording.Encode(&buf, orig.Recording(popts)); err != nil {
		t.Fatal(err)
	}
	text = buf.String()
	rec, err := recording.Decode(strings.NewReader(text))
	if err != nil {
		t.Fatalf("decode what Encode wrote: %v\n%s", err, text)
	}
	var lb logBuf
	rs, err := replay.Start(rec, replay.WithTiming(true), replay.WithLogf(lb.logf))
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	_, port, _ := net.SplitHostPort(rs.Addr())
	target.Port, _ = strconv.Atoi(port)
	target.Host = "127.0.0.1"
	if popts.RootCAs != nil {
		popts.RootCAs = rs.CAPool()
	}
	again = prober.Probe(context.Background(), target, popts)
	rs.Close()
	return orig, again, text, lb.String(), password
}

// verdicts lists every step as "name status codes...".
func verdicts(rep *prober.Report) []string {
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
	return out
}

// TestRoundTrip: record a probe of the fake under a fault, replay it,
// probe the replay: every step gets the same status and codes.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	for _, name := range []string{
		"healthy-starttls", "healthy-implicit-tls", "greeting-bye", "wrong-password", "mailbox-renamed",
		"mailbox-denied", "fetch-cut-mid-body", "fetch-server-bug", "list-refused", "shutdown-mid-session",
		"mechanism-missing", "starttls-refused", "greeting-slow", "fetch-timeout", "wrong-port-smtp",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s, err := scenarios.Find(name)
			if err != nil {
				t.Fatal(err)
			}
			orig, again, text, log, password := roundTrip(t, s)
			want, got := verdicts(orig), verdicts(again)
			if strings.Join(want, "\n") != strings.Join(got, "\n") {
				t.Errorf("replay verdicts differ:\n got %q\nwant %q\nrecording:\n%s\nlog:\n%s", got, want, text, log)
			}
			if _, code := orig.Failure(); string(code) != string(s.Want.Code) && s.Want.Code != scenarios.OK {
				t.Errorf("the original probe gave %s, the scenario wants %s", code, s.Want.Code)
			}
			for what, out := range map[string]string{"recording": text, "replay log": log} {
				if strings.Contains(out, password) {
					t.Errorf("the %s holds the password", what)
				}
			}
		})
	}
}

// TestRoundTripLoginLiteral: a password that LOGIN must send as a literal
// (non-ASCII) replays, and stays out of the recording.
func TestRoundTripLoginLiteral(t *testing.T) {
	t.Parallel()
	s, err := scenarios.Find("healthy-login")
	if err != nil {
		t.Fatal(err)
	}
	orig, again, text, log, password := roundTripWith(t, s, "canäry-pw-Lit3")
	if !strings.Contains(text, `LOGIN "alice" [redacted]`) {
		t.Errorf("LOGIN not masked as a whole:\n%s", text)
	}
	if w, g := strings.Join(verdicts(orig), ", "), strings.Join(verdicts(again), ", "); w != g || strings.Contains(text+log, password) {
		t.Errorf("replay verdicts:\n got %s\nwant %s\nrecording:\n%s", g, w, text)
	}
}
