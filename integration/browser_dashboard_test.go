package integration

import (
	"bufio"
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/prober"
)

// TestBrowserDashboard: on the fake's dashboard, a bad spec shows the
// parser's error inline and changes nothing; a fault added through the
// form makes the next probe fail with its diagnosis, and the page shows it
// fired once and the connection's masked transcript; removed through the
// page, the next probe is OK. The password is never in the DOM or the
// network log. Its screenshot is dashboard.png.
func TestBrowserDashboard(t *testing.T) {
	t.Parallel()
	const spec, code = "reply:LOGIN|AUTHENTICATE=NO [UNAVAILABLE] try later", "auth.unavailable"
	srv := fakeserver.New(t, fakeserver.WithUser("alice", browserCanary))
	api := httptest.NewServer(srv.ControlHandler())
	t.Cleanup(api.Close)

	ctx, netlog := newBrowser(t)
	wait := func(what, expr string) {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
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

	// The fault, added through the form.
	addSpec(spec)
	wait("the fault's row", `document.querySelectorAll('#faults tbody tr').length === 1`)
	if got := srv.Faults().Specs(); len(got) != 1 || got[0] != spec {
		t.Fatalf("active faults %q, want [%q]", got, spec)
	}
	if eval(`document.getElementById('add-error').hidden ? "hidden" : "shown"`) != "hidden" {
		t.Errorf("the earlier error is still shown after a good spec")
	}
	rep := probeFakeServer(t, srv, browserCanary)
	if step, c := rep.Failure(); step != "auth" || c != code {
		t.Fatalf("probe under the fault failed at %q (%q), want auth (%s)", step, c, code)
	}
	wait("fired count 1", `document.querySelector('#faults tbody tr .fired-count').textContent === '1'`)
	wait("the probe's connection", `document.querySelectorAll('#connections details').length === 1`)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#connections details summary"))); err != nil {
		t.Fatal(err)
	}
	transcript := eval(`document.querySelector('#connections details pre').textContent`)
	for _, want := range []string{"C: P1 AUTHENTICATE PLAIN [redacted]", "S: P1 NO [UNAVAILABLE] try later"} {
		if !strings.Contains(transcript, want) {
			t.Errorf("the page's transcript lacks %q:\n%s", want, transcript)
		}
	}
	if got := eval(`document.querySelector('#connections details summary').textContent`); !strings.Contains(got, "faults: "+spec+" ×1") {
		t.Errorf("connection summary %q does not name the fault that fired", got)
	}
	screenshot(t, ctx, "dashboard")

	// Removed through the page: the next probe is OK.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#faults button.remove`))); err != nil {
		t.Fatal(err)
	}
	wait("the empty fault list again", `!document.getElementById('no-faults').hidden && document.querySelectorAll('#faults tbody tr').length === 0`)
	if n := len(srv.Faults()); n != 0 {
		t.Fatalf("%d faults active after Remove, want 0", n)
	}
	if rep := probeFakeServer(t, srv, browserCanary); rep.Result.Status != prober.StatusOK {
		t.Errorf("probe after Remove: %s at %s (%s), want ok", rep.Result.Status, rep.Result.Step, rep.Result.Code)
	}
	wait("both connections", `document.querySelectorAll('#connections details').length === 2`)

	// A client's bytes reach the page as text, never as markup.
	sendHostileLine(t, srv, `a1 <img src=x onerror="document.title='pwned'">`)
	wait("the hostile connection", `document.querySelectorAll('#connections details').length === 3`)
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
	req, _ := http.NewRequest(http.MethodPost, api.URL+"/faults", strings.NewReader(spec))
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

// sendHostileLine sends one command line to srv's TLS port and reads the
// greeting and the answer, with a deadline.
func sendHostileLine(t *testing.T, srv *fakeserver.Server, line string) {
	t.Helper()
	d := &tls.Dialer{Config: srv.TLSConfig(), NetDialer: &net.Dialer{Timeout: 5 * time.Second}}
	c, err := d.DialContext(t.Context(), "tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(c)
	if _, err := r.ReadString('\n'); err != nil {
		t.Fatalf("greeting: %v", err)
	}
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
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
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
