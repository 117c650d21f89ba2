package fakeserver_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/faults"
)

// named lists the active faults as "name=spec".
func named(t *testing.T, srv *fakeserver.Server) []string {
	t.Helper()
	st, err := srv.FaultStatuses()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range st {
		out = append(out, s.Name+"="+s.Spec)
	}
	return out
}

// TestControlNamedFaults walks the named-fault routes with real requests:
// each step's status, what its answer says, and the faults after it.
func TestControlNamedFaults(t *testing.T) {
	t.Parallel()
	srv := fakeserver.New(t)
	hs := controlAPI(t, srv)
	jsonMarked := with(marked, "Content-Type", "application/json")
	steps := []struct {
		req    controlReq
		want   int
		inBody string
		after  []string
	}{
		{controlReq{method: "POST", path: "/faults", body: "reply:NOOP=NO [UNAVAILABLE] a\ndelay:SELECT=2s\n", header: marked}, 200, `"name": "delay-1"`,
			[]string{"reply-1=reply:NOOP=NO [UNAVAILABLE] a", "delay-1=delay:SELECT=2s"}},
		{controlReq{method: "POST", path: "/faults", body: `[{"name":"slow-fetch","kind":"delay","target":"FETCH","duration":"3s"}]`, header: jsonMarked}, 200, `"name": "slow-fetch"`,
			[]string{"reply-1=reply:NOOP=NO [UNAVAILABLE] a", "delay-1=delay:SELECT=2s", "slow-fetch=delay:FETCH=3s"}},
		{controlReq{method: "POST", path: "/faults", body: `{"name":"bye.1","spec":"greeting:bye"}`, header: marked}, 200, `"name": "bye.1"`,
			[]string{"reply-1=reply:NOOP=NO [UNAVAILABLE] a", "delay-1=delay:SELECT=2s", "slow-fetch=delay:FETCH=3s", "bye.1=greeting:bye"}},
		{controlReq{method: "GET", path: "/faults/slow-fetch"}, 200, `"spec": "delay:FETCH=3s"`, nil},
		{controlReq{method: "GET", path: "/faults/nope"}, 404, `no fault named "nope": GET /faults lists the names`, nil},
		{controlReq{method: "PUT", path: "/faults/delay-1", body: "drop:FETCH+120", header: marked}, 200, `"name": "delay-1",` + "\n" + `  "spec": "drop:FETCH+120"`,
			[]string{"reply-1=reply:NOOP=NO [UNAVAILABLE] a", "delay-1=drop:FETCH+120", "slow-fetch=delay:FETCH=3s", "bye.1=greeting:bye"}},
		{controlReq{method: "PUT", path: "/faults/nope", body: "drop:FETCH", header: marked}, 404, `no fault named "nope"`, nil},
		{controlReq{method: "PUT", path: "/faults/delay-1", body: "drop:FETCH\ndrop:LIST\n", header: marked}, 400, "takes one fault, got 2", nil},
		{controlReq{method: "PUT", path: "/faults/delay-1", body: `{"name":"other","spec":"drop:FETCH"}`, header: marked}, 400, `the body names fault "other", the path "delay-1"`, nil},
		{controlReq{method: "PUT", path: "/faults/delay-1", body: "delya:FETCH=1s", header: marked}, 400, "delya", nil},
		{controlReq{method: "POST", path: "/faults", body: `{"name":"slow-fetch","spec":"drop:LIST"}`, header: marked}, 409, `fault name "slow-fetch" is taken`, nil},
		{controlReq{method: "POST", path: "/faults", body: `[{"name":"a","spec":"drop:LIST"},{"name":"a","spec":"drop:FETCH"}]`, header: marked}, 409, `"a" is taken`, nil},
		{controlReq{method: "POST", path: "/faults", body: `[{"name":"x y","spec":"drop:LIST"}]`, header: marked}, 400, `bad fault name "x y"`, nil},
		{controlReq{method: "POST", path: "/faults", body: `[{"name":5,"spec":"drop:LIST"}]`, header: marked}, 400, `"name" must be a JSON string`, nil},
		{controlReq{method: "POST", path: "/faults", body: `{"faults":["drop:LIST",{"name":"in-file","spec":"drop:FETCH"}],"faults":[]}`, header: marked}, 400, `"faults" is given twice`, nil},
		{controlReq{method: "DELETE", path: "/faults/reply-1", header: marked}, 204, "", []string{"delay-1=drop:FETCH+120", "slow-fetch=delay:FETCH=3s", "bye.1=greeting:bye"}},
		{controlReq{method: "DELETE", path: "/faults/reply-1", header: marked}, 404, `no fault named "reply-1"`, nil},
		// A deleted fault's generated name is not given again.
		{controlReq{method: "POST", path: "/faults", body: `{"faults":["reply:NOOP=NO b",{"name":"in-file","kind":"drop","at":"LIST"}]}`, header: marked}, 200, `"name": "reply-2"`,
			[]string{"delay-1=drop:FETCH+120", "slow-fetch=delay:FETCH=3s", "bye.1=greeting:bye", "reply-2=reply:NOOP=NO b", "in-file=drop:LIST"}},
		{controlReq{method: "POST", path: "/faults/in-file", body: "drop:LIST", header: marked}, 405, "", nil},
		{controlReq{method: "DELETE", path: "/faults", header: marked}, 200, "[]", []string{}},
	}
	var want []string // after is nil: the faults stay as they were
	for i, st := range steps {
		status, body := st.req.do(t, hs)
		if status != st.want || !strings.Contains(body, st.inBody) {
			t.Fatalf("step %d: %s %s: status %d %q, want %d with %q", i, st.req.method, st.req.path, status, body, st.want, st.inBody)
		}
		if st.after != nil {
			want = st.after
		}
		if got := named(t, srv); !slices.Equal(got, want) {
			t.Fatalf("step %d: %s %s: faults %q, want %q", i, st.req.method, st.req.path, got, want)
		}
	}
}

// TestControlPutBackNamed: GET /faults' answer PUT back keeps the names,
// and a fault kept by the Go API keeps its name.
func TestControlPutBackNamed(t *testing.T) {
	t.Parallel()
	srv := fakeserver.New(t, withSpecs(t, "drop:FETCH", "drop:LIST"))
	hs := controlAPI(t, srv)
	if _, body := (controlReq{method: "PUT", path: "/faults/drop-2", body: `{"name":"drop-2","kind":"delay","target":"LIST","duration":"1s"}`, header: marked}).do(t, hs); !strings.Contains(body, `"delay:LIST=1s"`) {
		t.Fatalf("PUT /faults/drop-2: %s", body)
	}
	_, list := controlReq{method: "GET", path: "/faults"}.do(t, hs)
	srv.SetFaults(nil)
	if status, body := (controlReq{method: "PUT", path: "/faults", body: list, header: marked}).do(t, hs); status != 200 {
		t.Fatalf("PUT GET's answer: %d %s", status, body)
	}
	want := []string{"drop-1=drop:FETCH", "drop-2=delay:LIST=1s"}
	if got := named(t, srv); !slices.Equal(got, want) {
		t.Fatalf("after PUT: %q, want %q", got, want)
	}
	extra, err := faults.Parse("drop:SELECT")
	if err != nil {
		t.Fatal(err)
	}
	srv.SetFaults(append(faults.Set{extra}, srv.Faults()...))
	want = []string{"drop-3=drop:SELECT", "drop-1=drop:FETCH", "drop-2=delay:LIST=1s"}
	if got := named(t, srv); !slices.Equal(got, want) {
		t.Fatalf("after SetFaults: %q, want %q", got, want)
	}
}

// TestControlNamedGuard: the web-page defences and the token hold on
// /faults/{name} as on /faults; a refused request changes nothing.
func TestControlNamedGuard(t *testing.T) {
	t.Parallel()
	const token = "ctl-canary-7d2a"
	auth := map[string]string{"Authorization": "Bearer " + token}
	kept, put := []string{"drop-1=drop:FETCH"}, []string{"drop-1=drop:LIST"}
	tests := []struct {
		name  string
		token bool
		req   controlReq
		want  int
		after []string
	}{
		{"GET bad host", false, controlReq{method: "GET", path: "/faults/drop-1", host: "attacker.example:PORT"}, 403, kept},
		{"PUT bad host", false, controlReq{method: "PUT", path: "/faults/drop-1", body: "drop:LIST", host: "attacker.example:PORT", header: marked}, 403, kept},
		{"PUT cross-origin", false, controlReq{method: "PUT", path: "/faults/drop-1", body: "drop:LIST", header: with(marked, "Origin", "http://evil.example")}, 403, kept},
		{"DELETE cross-site", false, controlReq{method: "DELETE", path: "/faults/drop-1", header: with(marked, "Sec-Fetch-Site", "cross-site")}, 403, kept},
		{"PUT, no header", false, controlReq{method: "PUT", path: "/faults/drop-1", body: "drop:LIST", header: map[string]string{"Content-Type": "text/plain"}}, 403, kept},
		{"DELETE, no header", false, controlReq{method: "DELETE", path: "/faults/drop-1"}, 403, kept},
		{"GET, no token", true, controlReq{method: "GET", path: "/faults/drop-1"}, 401, kept},
		{"DELETE, no token", true, controlReq{method: "DELETE", path: "/faults/drop-1", header: marked}, 401, kept},
		{"PUT, token, no header", true, controlReq{method: "PUT", path: "/faults/drop-1", body: "drop:LIST", header: auth}, 403, kept},
		{"GET, token", true, controlReq{method: "GET", path: "/faults/drop-1", header: auth}, 200, kept},
		{"PUT, token", true, controlReq{method: "PUT", path: "/faults/drop-1", body: "drop:LIST", header: with(auth, fakeserver.ControlHeader, "1")}, 200, put},
		{"DELETE, token", true, controlReq{method: "DELETE", path: "/faults/drop-1", header: with(auth, fakeserver.ControlHeader, "1")}, 204, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := fakeserver.New(t, withSpecs(t, "drop:FETCH"))
			var opts []fakeserver.ControlOption
			if tc.token {
				opts = append(opts, fakeserver.WithControlToken(token))
			}
			status, body := tc.req.do(t, controlAPI(t, srv, opts...))
			if status != tc.want || strings.Contains(body, token) {
				t.Fatalf("status %d %q, want %d (and no token)", status, body, tc.want)
			}
			if got := named(t, srv); !slices.Equal(got, tc.after) {
				t.Fatalf("faults after: %q, want %q", got, tc.after)
			}
		})
	}
}

// TestControlNamedInSession: a fault replaced or removed by name changes
// what a connected IMAP client gets at its next command, and GET
// /faults/{name} counts what it did.
func TestControlNamedInSession(t *testing.T) {
	t.Parallel()
	srv := plainServer(t, "delay:NOOP=1ms")
	hs := controlAPI(t, srv)
	fired := func() int64 {
		t.Helper()
		status, body := controlReq{method: "GET", path: "/faults/delay-1"}.do(t, hs)
		var st fakeserver.FaultStatus
		if err := json.Unmarshal([]byte(body), &st); status != 200 || err != nil {
			t.Fatalf("GET /faults/delay-1: %d %v %s", status, err, body)
		}
		return st.Fired
	}
	r := loggedInRaw(t, srv)
	r.send("n1 NOOP\r\n")
	if l := r.until("n1 "); l[len(l)-1] != "n1 OK NOOP completed\r\n" {
		t.Fatalf("NOOP: %q", l)
	}
	if n := fired(); n != 1 {
		t.Fatalf("fired %d after one NOOP, want 1", n)
	}
	if status, body := (controlReq{method: "PUT", path: "/faults/delay-1", body: "reply:NOOP=NO [UNAVAILABLE] by name", header: marked}).do(t, hs); status != 200 {
		t.Fatalf("PUT: %d %s", status, body)
	}
	if n := fired(); n != 0 {
		t.Fatalf("fired %d after PUT, want 0 (a new fault)", n)
	}
	r.send("n2 NOOP\r\n")
	if l := r.line(); l != "n2 NO [UNAVAILABLE] by name\r\n" {
		t.Fatalf("NOOP after PUT: %q", l)
	}
	if n := fired(); n != 1 {
		t.Fatalf("fired %d after the replaced fault acted, want 1", n)
	}
	if status, body := (controlReq{method: "DELETE", path: "/faults/delay-1", header: marked}).do(t, hs); status != 204 || body != "" {
		t.Fatalf("DELETE: %d %q", status, body)
	}
	r.send("n3 NOOP\r\n")
	if l := r.until("n3 "); l[len(l)-1] != "n3 OK NOOP completed\r\n" {
		t.Fatalf("NOOP after DELETE: %q", l)
	}
}

// TestControlConcurrentNamed: DELETEs and PUTs by name racing POSTs all
// land; none undoes another.
func TestControlConcurrentNamed(t *testing.T) {
	t.Parallel()
	const n = 10
	var specs []string
	for i := range n {
		specs = append(specs, fmt.Sprintf("reply:NOOP=NO [UNAVAILABLE] old%02d", i))
	}
	srv := fakeserver.New(t, withSpecs(t, specs...))
	hs := controlAPI(t, srv)
	var wg sync.WaitGroup
	var want []string
	for i := range n {
		name := fmt.Sprintf("reply-%d", i+1)
		if i%2 == 0 {
			wg.Go(func() { sendMarked(t, hs, "DELETE", "/faults/"+name, "", 204) })
		} else {
			want = append(want, fmt.Sprintf("%s=drop:FETCH+%d", name, i))
			wg.Go(func() { sendMarked(t, hs, "PUT", "/faults/"+name, fmt.Sprintf("drop:FETCH+%d", i), 200) })
		}
		want = append(want, fmt.Sprintf("new%02d=drop:LIST+%d", i, i+1))
		wg.Go(func() {
			sendMarked(t, hs, "POST", "/faults", fmt.Sprintf(`{"name":"new%02d","spec":"drop:LIST+%d"}`, i, i+1), 200)
		})
	}
	wg.Wait()
	got := named(t, srv)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("faults after the race:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
