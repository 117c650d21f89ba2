package integration

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/internal/wiretap"
	"github.com/imapprobe/imapprobe/prober"
)

// TestBrowserDashboard: on the fake's dashboard, a bad spec shows the
// parser's error inline and changes nothing; two faults added through the
// form, one a line, make the next probe fail at auth, and the page shows
// which fired (1 and 0) and the connection's masked transcript, in its
// colours with relative times; each removed through its own button, the
// next probe sees the one left (mailbox.not_found), then none (OK). A
// connection still open is listed live as open, then as closed by the
// client. The password is never in the DOM or the network log. Its
// screenshot is dashboard.png.
func TestBrowserDashboard(t *testing.T) {
	t.Parallel()
	const authFault, authCode = "reply:LOGIN|AUTHENTICATE=NO [UNAVAILABLE] try later", "auth.unavailable"
	const selectFault, selectCode = "reply:EXAMINE=NO [NONEXISTENT] no such mailbox", "mailbox.not_found"
	srv := fakeserver.New(t, fakeserver.WithUser("alice", browserCanary))
	api := httptest.NewServer(srv.ControlHandler())
	t.Cleanup(api.Close)

	ctx, netlog := newBrowser(t)
	wait := func(what, expr string) {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 15*time.Second) // the page polls each second; a loaded CI is slower
		defer cancel()
		if _, err := chromedp.Run(wctx, chromedp.Poll[chromedp.Void](expr)); err != nil {
			t.Fatalf("waiting for %s (%s): %v", what, expr, err)
		}
	}
	eval := func(expr string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		return s
	}
	addSpec := func(text string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.ID("spec"), text), chromedp.Click(chromedp.ID("add"))); err != nil {
			t.Fatal(err)
		}
	}
	// rows lists the fault table as SPEC=FIRED, one a line.
	const rows = `[...document.querySelectorAll('#faults tbody tr')].map((r) => r.querySelector('.spec').textContent + "=" + r.querySelector('.fired-count').textContent).join("\n")`
	remove := func(spec string) {
		t.Helper()
		name := eval(`[...document.querySelectorAll('#faults tbody tr')].filter((r) => r.querySelector('.spec').textContent === ` + jsString(spec) + `).map((r) => r.dataset.name).join(",")`)
		if name == "" || strings.Contains(name, ",") {
			t.Fatalf("rows of the fault %q: %q, want one", spec, name)
		}
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(fmt.Sprintf(`#faults tr[data-name=%q] button.remove`, name)))); err != nil {
			t.Fatal(err)
		}
	}
	probe := func(wantCode prober.Code) {
		t.Helper()
		rep := probeFakeServer(t, srv, browserCanary)
		if rep.Result.Code != wantCode {
			t.Fatalf("probe: %s at %s (%q), want %q", rep.Result.Status, rep.Result.Step, rep.Result.Code, wantCode)
		}
	}

	if err := chromedp.Do(ctx, chromedp.Navigate(api.URL+"/ui")); err != nil {
		t.Fatal(err)
	}
	wait("the empty fault list", `!document.getElementById('no-faults').hidden && document.getElementById('status').textContent.startsWith('updated')`)

	// A typo: the parser's error, inline, and no fault.
	addSpec("delya:SELECT=1s")
	wait("the parser's error", `!document.getElementById('add-error').hidden`)
	if got, want := eval(`document.getElementById('add-error').textContent`), `faults: unknown kind "delya" in "delya:SELECT=1s"; valid kinds: `; !strings.HasPrefix(got, want) {
		t.Errorf("inline error %q, want it to start %q", got, want)
	}
	if n := len(srv.Faults()); n != 0 {
		t.Fatalf("%d faults active after a bad spec, want 0", n)
	}

	// Two faults, one a line, added through the form.
	addSpec(authFault + "\n" + selectFault)
	wait("the two faults' rows", `document.querySelectorAll('#faults tbody tr').length === 2`)
	if got := srv.Faults().Specs(); strings.Join(got, "\n") != authFault+"\n"+selectFault {
		t.Fatalf("active faults %q, want [%q %q]", got, authFault, selectFault)
	}
	if eval(`document.getElementById('add-error').hidden ? "hidden" : "shown"`) != "hidden" {
		t.Errorf("the earlier error is still shown after a good spec")
	}
	probe(authCode)
	wait("fired counts 1 and 0", rows+` === `+jsString(authFault+"=1\n"+selectFault+"=0"))
	wait("the probe's connection", `document.querySelectorAll('#connections details').length === 1`)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#connections details summary"))); err != nil {
		t.Fatal(err)
	}
	checkDashboardTranscript(t, ctx, srv, 1)
	transcript := eval(`document.querySelector('#connections details pre').textContent`)
	for _, want := range []string{"C: P1 AUTHENTICATE PLAIN [redacted]", "S: P1 NO [UNAVAILABLE] try later"} {
		if !strings.Contains(transcript, want) {
			t.Errorf("the page's transcript lacks %q:\n%s", want, transcript)
		}
	}
	if got := eval(`document.querySelector('#connections details summary').textContent`); !strings.Contains(got, "faults: "+authFault+" ×1") {
		t.Errorf("connection summary %q does not name the fault that fired", got)
	}
	screenshot(t, ctx, "dashboard")

	// Removed one by one through the page: each next probe sees the change.
	remove(authFault)
	wait("the select fault alone", rows+` === `+jsString(selectFault+"=0"))
	if got := srv.Faults().Specs(); len(got) != 1 || got[0] != selectFault {
		t.Fatalf("active faults after one Remove %q, want [%q]", got, selectFault)
	}
	probe(selectCode)
	wait("the select fault fired once", rows+` === `+jsString(selectFault+"=1"))
	remove(selectFault)
	wait("the empty fault list again", `!document.getElementById('no-faults').hidden && document.querySelectorAll('#faults tbody tr').length === 0`)
	if n := len(srv.Faults()); n != 0 {
		t.Fatalf("%d faults active after Remove, want 0", n)
	}
	probe("")
	wait("the three probes' connections", `document.querySelectorAll('#connections details').length === 3`)

	// A connection still open is listed live, then as ended.
	c, r := dialTLS(t, srv)
	if _, err := c.Write([]byte("a1 NOOP\r\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ReadString('\n'); err != nil {
		t.Fatalf("NOOP: %v", err)
	}
	const newest = `document.querySelector('#connections details')`
	wait("the open connection", `document.querySelectorAll('#connections details').length === 4 && `+newest+`.querySelector('summary').textContent.endsWith(' · open') && `+newest+`.querySelector('pre').textContent.includes('C: a1 NOOP\n')`)
	c.Close()
	wait("the connection closed", newest+`.querySelector('summary').textContent.endsWith(' · closed by client')`)

	// A client's bytes reach the page as text, never as markup.
	sendHostileLine(t, srv, `a1 <img src=x onerror="document.title='pwned'">`)
	wait("the hostile connection", `document.querySelectorAll('#connections details').length === 5`)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#connections details summary"))); err != nil {
		t.Fatal(err)
	}
	shown := eval(`document.querySelector('#connections details pre').textContent`)
	if !strings.Contains(shown, `C: a1 <img src=x onerror=`) {
		t.Errorf("the hostile line is not shown as text:\n%s", shown)
	}
	if got := eval(`document.querySelectorAll('#connections img, #connections script').length + " " + document.title`); got != "0 fakeimapd dashboard" {
		t.Errorf("the hostile line became markup: %q", got)
	}

	if n := netlog.checkCanary(t, ctx, "alice", browserCanary); n < 4 {
		t.Errorf("read %d response bodies, want the page, its files and API answers", n)
	}
	var sawChange bool
	for _, u := range netlog.urls() {
		if !strings.HasPrefix(u, api.URL+"/") {
			t.Errorf("the page requested %q, outside its own origin", u)
		}
		sawChange = sawChange || strings.HasPrefix(u, api.URL+"/faults/")
	}
	if !sawChange {
		t.Errorf("no DELETE /faults/NAME in the network log %q", netlog.urls())
	}

	// The page's own kind of request from another origin is still refused.
	req, _ := http.NewRequest(http.MethodPost, api.URL+"/faults", strings.NewReader(authFault))
	req.Header.Set(fakeserver.ControlHeader, "1")
	req.Header.Set("Origin", "http://evil.example")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || len(srv.Faults()) != 0 {
		t.Errorf("cross-origin POST: status %d, %d faults; want 403 and none", resp.StatusCode, len(srv.Faults()))
	}
}

// jsString quotes s for a JavaScript expression (JSON is JavaScript).
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// checkDashboardTranscript: the transcript of connection id, as the page
// shows it, is the server's record line for line: its time from the
// connection's start, direction and text, in the direction's colour.
func checkDashboardTranscript(t *testing.T, ctx context.Context, srv *fakeserver.Server, id uint64) {
	t.Helper()
	var want []string
	for _, c := range srv.Connections() {
		if c.ID != id {
			continue
		}
		class := map[wiretap.Dir]string{wiretap.Client: "c", wiretap.Server: "s"}
		for _, l := range c.Transcript {
			k := class[l.Dir]
			if k == "" {
				k = "x"
			}
			want = append(want, fmt.Sprintf("%s %s +%.3fs %s: %s", k, lineColors[k], l.At.Seconds(), l.Dir, l.Text))
		}
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](fmt.Sprintf(`[...document.querySelectorAll('#connections details[data-id="%d"] pre span')].map((s) => s.className + " " + getComputedStyle(s).color + " " + s.textContent.replace(/\n$/, ""))`, id)))
	if err != nil {
		t.Fatal(err)
	}
	if len(want) < 4 || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("connection %d's transcript on the page:\n%s\nwant:\n%s", id, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// dialTLS opens a TLS connection to srv and reads the greeting; t's
// cleanup closes it.
func dialTLS(t *testing.T, srv *fakeserver.Server) (net.Conn, *bufio.Reader) {
	t.Helper()
	d := &tls.Dialer{Config: srv.TLSConfig(), NetDialer: &net.Dialer{Timeout: 5 * time.Second}}
	c, err := d.DialContext(t.Context(), "tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(c)
	if _, err := r.ReadString('\n'); err != nil {
		t.Fatalf("greeting: %v", err)
	}
	return c, r
}

// sendHostileLine sends one command line to srv's TLS port and reads the
// answer, with a deadline.
func sendHostileLine(t *testing.T, srv *fakeserver.Server, line string) {
	t.Helper()
	c, r := dialTLS(t, srv)
	defer c.Close()
	if _, err := c.Write([]byte(line + "\r\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ReadString('\n'); err != nil {
		t.Fatalf("answer to %q: %v", line, err)
	}
}

// TestBrowserDashboardToken: behind --control-token-file the page loads,
// asks for the token, and once given it lists and changes faults; the
// token does not stay in the DOM.
func TestBrowserDashboardToken(t *testing.T) {
	t.Parallel()
	const token = "ctl-token-canary-77aa"
	srv := fakeserver.New(t)
	api := httptest.NewServer(srv.ControlHandler(fakeserver.WithControlToken(token)))
	t.Cleanup(api.Close)
	ctx, _ := newBrowser(t)
	poll := func(what, expr string) {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		if _, err := chromedp.Run(wctx, chromedp.Poll[chromedp.Void](expr)); err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(api.URL+"/")); err != nil {
		t.Fatal(err)
	}
	poll("the token form", `!document.getElementById('token-box').hidden`)
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("token"), token),
		chromedp.Click(chromedp.CSS("#token-form button")),
	); err != nil {
		t.Fatal(err)
	}
	poll("the fault list", `document.getElementById('status').textContent.startsWith('updated')`)
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.ID("spec"), "greeting:bye"), chromedp.Click(chromedp.ID("add"))); err != nil {
		t.Fatal(err)
	}
	poll("the fault's row", `document.querySelectorAll('#faults tbody tr').length === 1`)
	if got := srv.Faults().Specs(); len(got) != 1 || got[0] != "greeting:bye" {
		t.Errorf("active faults %q, want [greeting:bye]", got)
	}
	dom, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML + document.getElementById('token').value`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(dom, token) {
		t.Errorf("the token stays in the DOM")
	}
}
