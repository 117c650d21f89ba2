package fakeserver_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/internal/testkit"
)

// TestControlBodyForms: POST /faults takes text specs or JSON whatever the
// client's content type, as curl --data sends a form type by default.
func TestControlBodyForms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, contentType, body string
		wantStatus              int
		wantSpecs               string // on 200; on 400, text the error must hold
	}{
		{"text/plain", "text/plain", "delay:SELECT=2s\n# comment\nreply:LIST=NO [SERVERBUG] x\n", http.StatusOK, "delay:SELECT=2s|reply:LIST=NO [SERVERBUG] x"},
		{"curl form, spec", "application/x-www-form-urlencoded", "drop:FETCH+120", http.StatusOK, "drop:FETCH+120"},
		{"curl form, JSON", "application/x-www-form-urlencoded", ` [{"kind":"greeting","variant":"bye"}]`, http.StatusOK, "greeting:bye"},
		{"no type, JSON object", "", `{"faults":["cert:expired"]}`, http.StatusOK, "cert:expired"},
		{"application/json", "application/json", `["caps:-STARTTLS"]`, http.StatusOK, "caps:-STARTTLS"},
		{"GET's form", "application/json", `[{"spec":"delay:SELECT=2s","fault":{"kind":"delay","target":"SELECT","duration":"2s"},"fired":3}]`, http.StatusOK, "delay:SELECT=2s"},
		{"application/json, not JSON", "application/json", "caps:-STARTTLS", http.StatusBadRequest, ""},
		{"bad spec", "application/x-www-form-urlencoded", "delya:SELECT=1s", http.StatusBadRequest, `faults: unknown kind "delya"`},
		{"bad third line", "text/plain", "delay:SELECT=2s\n# comment\ndelya:LIST=1s\n", http.StatusBadRequest, `line 3: faults: unknown kind "delya" in "delya:LIST=1s"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := fakeserver.New(t)
			req := httptest.NewRequest(http.MethodPost, "/faults", strings.NewReader(tc.body))
			req.Host = "127.0.0.1:8143"
			req.Header.Set(fakeserver.ControlHeader, "1")
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			rec := httptest.NewRecorder()
			srv.ControlHandler().ServeHTTP(rec, req)
			if rec.Code != tc.wantStatus {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.wantStatus, rec.Body)
			}
			if tc.wantStatus == http.StatusOK {
				if got := strings.Join(srv.Faults().Specs(), "|"); got != tc.wantSpecs {
					t.Errorf("faults = %q, want %q", got, tc.wantSpecs)
				}
			} else if !strings.Contains(rec.Body.String(), tc.wantSpecs) || len(srv.Faults()) != 0 {
				t.Errorf("error %q lacks %q, or faults were added: %q", rec.Body, tc.wantSpecs, srv.Faults().Specs())
			}
		})
	}
}

// controlAPI serves srv's control API on a real loopback HTTP server.
func controlAPI(t *testing.T, srv *fakeserver.Server, opts ...fakeserver.ControlOption) *httptest.Server {
	t.Helper()
	hs := httptest.NewServer(srv.ControlHandler(opts...))
	t.Cleanup(hs.Close)
	return hs
}

type controlReq struct {
	method, path, body string
	host               string // "" keeps the server's address
	header             map[string]string
}

// do sends req and returns the status and body.
func (req controlReq) do(t *testing.T, hs *httptest.Server) (int, string) {
	t.Helper()
	r, err := http.NewRequest(req.method, hs.URL+req.path, strings.NewReader(req.body))
	if err != nil {
		t.Fatal(err)
	}
	if req.host != "" {
		r.Host = strings.ReplaceAll(req.host, "PORT", strconv.Itoa(hs.Listener.Addr().(*net.TCPAddr).Port))
	}
	for k, v := range req.header {
		r.Header.Set(k, strings.ReplaceAll(v, "ORIGIN", hs.URL))
	}
	resp, err := hs.Client().Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// sendMarked sends a change with ControlHeader and checks its status; it
// reports with t.Error, so goroutines may call it.
func sendMarked(t *testing.T, hs *httptest.Server, method, path, body string, want int) {
	r, _ := http.NewRequest(method, hs.URL+path, strings.NewReader(body))
	r.Header.Set(fakeserver.ControlHeader, "1")
	resp, err := hs.Client().Do(r)
	if err != nil {
		t.Error(err)
		return
	}
	resp.Body.Close()
	if resp.StatusCode != want {
		t.Errorf("%s %s %q: %d, want %d", method, path, body, resp.StatusCode, want)
	}
}

var marked = map[string]string{fakeserver.ControlHeader: "1"}

func with(h map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range h {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// controlCase is one request to a fresh server's control API, the status
// it must get and a text its body must hold ("" for any).
type controlCase struct {
	name   string
	req    controlReq
	want   int
	inBody string
}

// runControlCases runs each case as a parallel subtest on a fresh server
// whose control API is served with opts, checks its status and body, then
// calls check with the server and the body for the test's own checks.
func runControlCases(t *testing.T, tests []controlCase, opts []fakeserver.ControlOption, check func(t *testing.T, tc controlCase, srv *fakeserver.Server, body string)) {
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := fakeserver.New(t)
			status, body := tc.req.do(t, controlAPI(t, srv, opts...))
			if status != tc.want || !strings.Contains(body, tc.inBody) {
				t.Fatalf("status %d %q, want %d with %q", status, body, tc.want, tc.inBody)
			}
			check(t, tc, srv, body)
		})
	}
}

// TestControlRefusesWebPages: the requests a hostile web page can make
// (cross-origin simple POSTs, DNS rebinding) are refused and change
// nothing; local tools pass.
func TestControlRefusesWebPages(t *testing.T) {
	t.Parallel()
	const spec = "drop:FETCH+120"
	tests := []controlCase{
		{"GET", controlReq{method: "GET", path: "/faults"}, 200, "[]"},
		{"GET bad host (DNS rebinding)", controlReq{method: "GET", path: "/connections", host: "attacker.example:PORT"}, 403, `Host "attacker.example:`},
		{"GET bad host, no port", controlReq{method: "GET", path: "/faults", host: "attacker.example"}, 403, "use 127.0.0.1, [::1] or localhost"},
		{"GET localhost", controlReq{method: "GET", path: "/faults", host: "localhost:PORT"}, 200, "[]"},
		{"GET [::1]", controlReq{method: "GET", path: "/faults", host: "[::1]:PORT"}, 200, "[]"},
		{"GET localhost, other port", controlReq{method: "GET", path: "/faults", host: "localhost:1"}, 403, "Host"},
		{"GET 127.0.0.2", controlReq{method: "GET", path: "/faults", host: "127.0.0.2:PORT"}, 403, "Host"},
		{"PUT bad host", controlReq{method: "PUT", path: "/faults", body: `["` + spec + `"]`, host: "attacker.example:PORT", header: with(marked, "Content-Type", "application/json")}, 403, "Host"},
		{"cross-origin text/plain POST", controlReq{method: "POST", path: "/faults", body: spec, header: map[string]string{"Content-Type": "text/plain", "Origin": "http://evil.example"}}, 403, `cross-origin request from "http://evil.example"`},
		{"cross-origin POST with the header", controlReq{method: "POST", path: "/faults", body: spec, header: with(marked, "Origin", "http://evil.example")}, 403, "cross-origin"},
		{"cross-site fetch", controlReq{method: "POST", path: "/faults", body: spec, header: with(marked, "Sec-Fetch-Site", "cross-site")}, 403, `"cross-site" browser request`},
		{"form POST, no Origin", controlReq{method: "POST", path: "/faults", body: spec, header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, 403, "curl -H 'X-Imapprobe-Control: 1' --data SPEC"},
		{"text/plain POST, no header", controlReq{method: "POST", path: "/faults", body: spec, header: map[string]string{"Content-Type": "text/plain"}}, 403, "application/json"},
		{"header value 0", controlReq{method: "POST", path: "/faults", body: spec, header: map[string]string{fakeserver.ControlHeader: "0"}}, 403, "application/json"},
		{"DELETE, no header", controlReq{method: "DELETE", path: "/connections"}, 403, "X-Imapprobe-Control"},
		{"curl --data with the header", controlReq{method: "POST", path: "/faults", body: spec, header: with(marked, "Content-Type", "application/x-www-form-urlencoded")}, 200, `"spec": "` + spec + `"`},
		{"application/json", controlReq{method: "POST", path: "/faults", body: `["` + spec + `"]`, header: map[string]string{"Content-Type": "application/json; charset=utf-8"}}, 200, `"fired": 0`},
		{"same origin (the dashboard)", controlReq{method: "POST", path: "/faults", body: spec, header: with(marked, "Origin", "ORIGIN", "Sec-Fetch-Site", "same-origin")}, 200, spec},
	}
	runControlCases(t, tests, nil, func(t *testing.T, tc controlCase, srv *fakeserver.Server, _ string) {
		// Only a POST that succeeds adds the fault.
		changed := tc.req.method == "POST" && tc.want == 200
		if got := strings.Join(srv.Faults().Specs(), "|"); (got == spec) != changed || (!changed && got != "") {
			t.Fatalf("faults after: %q, changed want %v", got, changed)
		}
	})
}

// TestControlToken: with a token, every endpoint needs it, and no answer
// quotes it.
func TestControlToken(t *testing.T) {
	t.Parallel()
	const token = "ctl-canary-61be"
	tests := []controlCase{
		{"GET, none", controlReq{method: "GET", path: "/faults"}, 401, "Authorization: Bearer TOKEN"},
		{"GET ca.pem, none", controlReq{method: "GET", path: "/ca.pem"}, 401, "Authorization: Bearer TOKEN"},
		{"GET, wrong", controlReq{method: "GET", path: "/connections", header: map[string]string{"Authorization": "Bearer ctl-canary-61bf"}}, 401, "Authorization: Bearer TOKEN"},
		{"GET, prefix", controlReq{method: "GET", path: "/connections", header: map[string]string{"Authorization": "Bearer ctl-canary"}}, 401, "Authorization: Bearer TOKEN"},
		{"GET, basic", controlReq{method: "GET", path: "/connections", header: map[string]string{"Authorization": "Basic " + token}}, 401, "Authorization: Bearer TOKEN"},
		{"GET, right", controlReq{method: "GET", path: "/connections", header: map[string]string{"Authorization": "Bearer " + token}}, 200, ""},
		{"POST, right, no header", controlReq{method: "POST", path: "/faults", body: "drop:FETCH", header: map[string]string{"Authorization": "Bearer " + token}}, 403, "X-Imapprobe-Control"},
		{"POST, none, with header", controlReq{method: "POST", path: "/faults", body: "drop:FETCH", header: marked}, 401, "Authorization: Bearer TOKEN"},
		{"POST, right", controlReq{method: "POST", path: "/faults", body: "drop:FETCH", header: with(marked, "Authorization", "bearer "+token)}, 200, ""},
	}
	runControlCases(t, tests, []fakeserver.ControlOption{fakeserver.WithControlToken(token)}, func(t *testing.T, tc controlCase, _ *fakeserver.Server, body string) {
		if strings.Contains(body, token) {
			t.Fatalf("answer quotes the token: %q", body)
		}
	})
}

// TestControlFaultCap: PUT and POST cannot make more than the cap active;
// a refused change leaves the faults as they were.
func TestControlFaultCap(t *testing.T) {
	t.Parallel()
	specs := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "reply:NOOP=NO [UNAVAILABLE] n%d\n", i)
		}
		return b.String()
	}
	srv := fakeserver.New(t)
	hs := controlAPI(t, srv)
	steps := []struct {
		method, body string
		want, count  int
	}{
		{"POST", specs(257), 413, 0},
		{"PUT", specs(257), 413, 0},
		{"POST", specs(200), 200, 200},
		{"POST", specs(56), 200, 256},
		{"POST", specs(1), 413, 256},
		{"PUT", specs(3), 200, 3},
		{"POST", strings.Repeat("#\n", 1<<20), 413, 3},
	}
	for i, st := range steps {
		status, body := controlReq{method: st.method, path: "/faults", body: st.body, header: marked}.do(t, hs)
		if status != st.want {
			t.Fatalf("step %d: %s: status %d %q, want %d", i, st.method, status, body, st.want)
		}
		if status == 413 && !strings.Contains(body, "limit is 256") && !strings.Contains(body, "body over") {
			t.Fatalf("step %d: 413 does not say why: %q", i, body)
		}
		if n := len(srv.Faults()); n != st.count {
			t.Fatalf("step %d: %d faults, want %d", i, n, st.count)
		}
	}
}

// TestControlConcurrentPosts: POSTs racing each other all land.
func TestControlConcurrentPosts(t *testing.T) {
	t.Parallel()
	srv := fakeserver.New(t)
	hs := controlAPI(t, srv)
	const n = 20
	var wg sync.WaitGroup
	var want []string
	for i := range n {
		spec := fmt.Sprintf("reply:NOOP=NO [UNAVAILABLE] g%02d", i)
		want = append(want, spec)
		wg.Go(func() { sendMarked(t, hs, "POST", "/faults", spec, 200) })
	}
	wg.Wait()
	got := srv.Faults().Specs()
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("faults after %d POSTs:\n%s\nwant\n%s", n, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestControlFiredCounts: GET /faults counts what each fault did in real
// IMAP sessions; a POST keeps the counts, and the log names the faults
// that did not fire on each connection.
func TestControlFiredCounts(t *testing.T) {
	t.Parallel()
	var logBuf testkit.Buffer
	srv := fakeserver.New(t, fakeserver.WithMode(fakeserver.ModePlaintext), fakeserver.WithLogger(newTextLogger(&logBuf)),
		withSpecs(t, "delay:greeting=1ms", "delay:NOOP=1ms", "reply:EXAMINE=NO [NONEXISTENT] gone", "delay:FETCH=1ms"))
	hs := controlAPI(t, srv)

	r := greeted(t, srv)
	r.loginRaw(srv)
	r.send("n1 NOOP\r\nn2 noop\r\n")
	r.until("n2 ")
	r.send("e EXAMINE INBOX\r\n")
	if l := r.line(); l != "e NO [NONEXISTENT] gone\r\n" {
		t.Fatalf("EXAMINE: %q", l)
	}
	r.send("z LOGOUT\r\n")
	r.until("z OK")
	r2 := greeted(t, srv)
	r2.send("n NOOP\r\nz LOGOUT\r\n")
	r2.until("z OK")
	waitEnded(t, srv, 2)

	want := map[string]int64{"delay:greeting=1ms": 2, "delay:NOOP=1ms": 3, "reply:EXAMINE=NO [NONEXISTENT] gone": 1, "delay:FETCH=1ms": 0}
	check := func(body string) {
		t.Helper()
		var got []struct {
			Spec  string `json:"spec"`
			Fault struct {
				Kind string `json:"kind"`
			} `json:"fault"`
			Fired int64 `json:"fired"`
		}
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatalf("%v: %s", err, body)
		}
		for _, g := range got {
			w, ok := want[g.Spec]
			if !ok || g.Fired != w || !strings.HasPrefix(g.Spec, g.Fault.Kind+":") {
				t.Errorf("%s fired %d (fault kind %q), want %d", g.Spec, g.Fired, g.Fault.Kind, w)
			}
		}
		if len(got) != len(want) {
			t.Fatalf("%d faults, want %d: %s", len(got), len(want), body)
		}
	}
	status, body := controlReq{method: "GET", path: "/faults"}.do(t, hs)
	if status != 200 {
		t.Fatalf("GET /faults: %d %s", status, body)
	}
	check(body)
	want["drop:FETCH+1"] = 0
	status, body = controlReq{method: "POST", path: "/faults", body: "drop:FETCH+1", header: marked}.do(t, hs)
	if status != 200 {
		t.Fatalf("POST: %d %s", status, body)
	}
	check(body)

	log := logBuf.String()
	for _, w := range []string{
		`unfired="delay:FETCH=1ms"`,
		`unfired="reply:EXAMINE=NO [NONEXISTENT] gone; delay:FETCH=1ms"`,
	} {
		if !strings.Contains(log, w) {
			t.Errorf("log lacks %s:\n%s", w, log)
		}
	}
}
