package fakeserver_test

import (
	"encoding/base64"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-imap/v2"

	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/faults"
	"github.com/imapprobe/imapprobe/internal/testkit"
	"github.com/imapprobe/imapprobe/recording"
)

const recCanary = "rec-canary-Pw7Yq"

// recordingProxy is a proxy in front of a fake upstream where carol's
// password is recCanary, recording into a fresh directory.
func recordingProxy(t *testing.T, logs *testkit.Buffer, specs ...string) (*fakeserver.Server, string) {
	t.Helper()
	up := fakeserver.New(t, fakeserver.WithUser("carol", recCanary))
	up.Append("carol", "INBOX", []byte("Subject: recorded\r\n\r\n"+strings.Repeat("body line\r\n", 60)))
	dir := filepath.Join(t.TempDir(), "recs")
	opts := []fakeserver.Option{fakeserver.WithSessionRecordings(dir), fakeserver.WithLogger(newTextLogger(logs)),
		fakeserver.WithLogTranscripts(),
		fakeserver.WithUpstream(fakeserver.Upstream{URL: "imaps://" + up.Addr(), RootCAs: up.CAPool()})}
	for _, s := range specs {
		opts = append(opts, fakeserver.WithFaults(faults.MustParse(s)))
	}
	return fakeserver.New(t, opts...), dir
}

// readRecordings decodes every recording in dir, in name order.
func readRecordings(t *testing.T, dir string) ([]*recording.Recording, []string) {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*"+recording.Ext))
	if err != nil {
		t.Fatal(err)
	}
	var recs []*recording.Recording
	var texts []string
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", p, fi.Mode().Perm())
		}
		rec, err := recording.Decode(strings.NewReader(string(b)))
		if err != nil {
			t.Fatalf("%s: %v\n%s", p, err, b)
		}
		recs, texts = append(recs, rec), append(texts, string(b))
	}
	return recs, texts
}

// TestSessionRecordings: each client session through the proxy becomes
// one recording, written before the record ends, with the TLS mode, the
// user, the mailbox and who closed; a cut response is a partial line; no
// form of the password is in it, in the log or on the control API.
func TestSessionRecordings(t *testing.T) {
	t.Parallel()
	b64 := base64.StdEncoding.EncodeToString([]byte("\x00carol\x00" + recCanary))
	cases := []struct {
		name    string
		specs   []string
		session func(t *testing.T, px *fakeserver.Server)
		end     string
		has     []string // lines (prefix "C " or "S ", then the text) the recording must hold
		partial string   // the start of the last line, cut short; "": not cut
	}{
		{"LOGIN, EXAMINE, FETCH, LOGOUT", nil, func(t *testing.T, px *fakeserver.Server) {
			c := dial(t, px)
			if err := c.Login("carol", recCanary).Wait(); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Fetch(imap.SeqSetNum(1), &imap.FetchOptions{UID: true}).Collect(); err != nil {
				t.Fatal(err)
			}
			if err := c.Logout().Wait(); err != nil {
				t.Fatal(err)
			}
		}, recording.EndServer, []string{`C T1 LOGIN "carol" [redacted]`, "C T2 EXAMINE INBOX", "S T4 OK LOGOUT completed"}, ""},
		{"AUTHENTICATE PLAIN, its response on a continuation line", []string{"caps:-SASL-IR"}, func(t *testing.T, px *fakeserver.Server) {
			r := dialRaw(t, px.Addr(), px.TLSConfig())
			r.line()
			r.send("a1 AUTHENTICATE PLAIN\r\n")
			if got := r.line(); !strings.HasPrefix(got, "+") {
				t.Fatalf("AUTHENTICATE: %q, want a continuation", got)
			}
			r.send(b64 + "\r\n")
			if got := r.line(); !strings.HasPrefix(got, "a1 OK") {
				t.Fatalf("AUTHENTICATE: %q", got)
			}
			r.nc.Close()
		}, recording.EndClient, []string{"C a1 AUTHENTICATE PLAIN", "C [redacted]"}, ""},
		{"FETCH cut after 20 bytes", []string{"drop:FETCH+20"}, func(t *testing.T, px *fakeserver.Server) {
			c := dial(t, px)
			if err := c.Login("carol", recCanary).Wait(); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Select("INBOX", nil).Wait(); err != nil {
				t.Fatal(err)
			}
			_, _ = c.Fetch(imap.SeqSetNum(1), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{{}}}).Collect()
		}, recording.EndServer, []string{"C T2 SELECT INBOX"}, "* 1 FETCH (UID 1 "},
		{"reset at FETCH", []string{"drop:FETCH,rst"}, func(t *testing.T, px *fakeserver.Server) {
			c := dial(t, px)
			if err := c.Login("carol", recCanary).Wait(); err != nil {
				t.Fatal(err)
			}
			_, _ = c.Select("INBOX", nil).Wait()
			_, _ = c.Fetch(imap.SeqSetNum(1), &imap.FetchOptions{UID: true}).Collect()
		}, recording.EndReset, []string{"C T3 FETCH 1 (UID)"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var logs testkit.Buffer
			px, dir := recordingProxy(t, &logs, tc.specs...)
			tc.session(t, px)
			waitEnded(t, px, 1)
			recs, texts := readRecordings(t, dir)
			if len(recs) != 1 {
				t.Fatalf("%d recordings, want 1", len(recs))
			}
			rec, text := recs[0], texts[0]
			if rec.TLS != "implicit" || rec.User != "carol" || rec.End != tc.end || len(rec.Steps) != 0 {
				t.Errorf("tls %q user %q end %q, %d steps; want implicit, carol, %s, none\n%s", rec.TLS, rec.User, rec.End, len(rec.Steps), tc.end, text)
			}
			var lines []string
			for _, l := range rec.Lines {
				lines = append(lines, string(l.Dir)+" "+l.Text)
			}
			for _, want := range tc.has {
				if !slices.Contains(lines, want) {
					t.Errorf("no line %q in\n%s", want, text)
				}
			}
			last := rec.Lines[len(rec.Lines)-1]
			// the tail of a cut line is masked (it may begin a secret), so
			// only its start is known
			if last.Partial != (tc.partial != "") || !strings.HasPrefix(last.Text, tc.partial) {
				t.Errorf("last line %+v: want partial %v, starting %q", last, tc.partial != "", tc.partial)
			}
			ctl := httptest.NewRecorder()
			px.ControlHandler().ServeHTTP(ctl, httptest.NewRequest("GET", "http://127.0.0.1:1/connections", nil))
			for what, out := range map[string]string{"recording": text, "log": logs.String(), "control API": ctl.Body.String()} {
				if strings.Contains(out, recCanary) || strings.Contains(out, b64) || strings.Contains(out, b64[:len(b64)-4]) {
					t.Errorf("the %s holds the password:\n%s", what, out)
				}
			}
			if !strings.Contains(logs.String(), "msg=recording") {
				t.Errorf("no log line for the recording:\n%s", logs.String())
			}
		})
	}
}

// TestSessionRecordingsOnePerConnection: concurrent connections each get
// a file of their own, named apart.
func TestSessionRecordingsOnePerConnection(t *testing.T) {
	t.Parallel()
	var logs testkit.Buffer
	px, dir := recordingProxy(t, &logs)
	const n = 12
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := dialErr(px)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			if err := c.Login("carol", recCanary).Wait(); err != nil {
				t.Error(err)
			}
			_ = c.Logout().Wait()
		}()
	}
	wg.Wait()
	waitEnded(t, px, n)
	recs, texts := readRecordings(t, dir)
	if len(recs) != n {
		t.Fatalf("%d recordings for %d connections", len(recs), n)
	}
	seen := map[string]bool{}
	for _, text := range texts {
		_, rest, _ := strings.Cut(text, "# recorded by fakeimapd: connection ")
		id, _, _ := strings.Cut(rest, " ")
		seen[id] = true
	}
	if len(seen) != n {
		t.Errorf("%d distinct connections in %d recordings: %v", len(seen), n, seen)
	}
}
