package integration

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/faults"
	"github.com/imapprobe/imapprobe/prober"
)

// TestBrowserProbePage: on the live page of imapprobe serve (the binaries,
// built and run as a user does), a bad URL and a CA file that is not PEM
// each show the server's one line inline; then a probe run through the
// form (URL, the fake's CA file uploaded, the password) against the fake
// under an EXAMINE fault shows each step live, then the diagnosis card
// with the exact code, the failing step marked, the waterfall, the chain
// with days left, the transcript in its colours with relative times, and
// a link to the JSON. The password, in no encoding, is in the DOM, the
// password field, the requests (but the form's own POST bodies), the
// responses or the server's log. Its screenshot is probe.png.
func TestBrowserProbePage(t *testing.T) {
	t.Parallel()
	const spec, step, code = "reply:EXAMINE=NO [NONEXISTENT] no such mailbox", "select", "mailbox.not_found"
	// The delay holds EXAMINE's answer, so that the test sees the steps
	// before it on the page while the probe still runs (3 s: a loaded
	// CI may take long to paint).
	srv := fakeserver.New(t, fakeserver.WithUser("alice", browserCanary),
		fakeserver.WithFaults(faults.MustParse("delay:EXAMINE=3s"), faults.MustParse(spec)))
	ca := filepath.Join(t.TempDir(), "fake-ca.pem")
	if err := os.WriteFile(ca, srv.CACertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	uiURL, serverLog := servePage(t)

	notPEM := filepath.Join(t.TempDir(), "not-a-ca.pem")
	if err := os.WriteFile(notPEM, []byte("hello\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	ctx, netlog := newBrowser(t)
	netlog.allowSecretPost(uiURL + "/ui/probe")
	if err := chromedp.Do(ctx, chromedp.Navigate(uiURL+"/ui")); err != nil {
		t.Fatal(err)
	}
	// Bad input: the server's one line, inline under the form, no probe.
	for _, tc := range []struct{ url, ca, want string }{
		{"notaurl", "", `URL: "notaurl" is not a URL: use imaps://user@host/INBOX or imap://user@host/INBOX`},
		{"imaps://alice@" + srv.Addr() + "/INBOX", notPEM, "CA file holds no PEM certificate (want -----BEGIN CERTIFICATE-----)"},
	} {
		acts := []chromedp.Action[chromedp.Void]{chromedp.SetValue(chromedp.ID("url"), tc.url), chromedp.SetValue(chromedp.ID("secret"), browserCanary)}
		if tc.ca != "" {
			acts = append(acts, chromedp.SetUploadFiles(chromedp.ID("ca"), []string{tc.ca}))
		}
		if err := chromedp.Do(ctx, append(acts, chromedp.Click(chromedp.ID("run")))...); err != nil {
			t.Fatal(err)
		}
		wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		shownErr, err := chromedp.Run(wctx, chromedp.Poll[string](`(() => {
			const e = document.getElementById('form-error');
			return !e.hidden && document.getElementById('live-status').textContent === "not run" && e.textContent;
		})()`))
		cancel()
		if err != nil || shownErr != tc.want {
			t.Errorf("URL %q, CA %q: the page shows %q (err %v), want %q", tc.url, tc.ca, shownErr, err, tc.want)
		}
	}

	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("url"), "imaps://alice@"+srv.Addr()+"/INBOX"),
		chromedp.SetValue(chromedp.ID("secret"), browserCanary),
		chromedp.SetUploadFiles(chromedp.ID("ca"), []string{ca}),
		chromedp.Click(chromedp.ID("run")),
	); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	live, err := chromedp.Run(wctx, chromedp.Poll[string](`(() => {
		const steps = [...document.querySelectorAll('#live-steps li')].map((li) => li.dataset.step).join(",");
		const done = !document.getElementById('result').hidden;
		return steps.endsWith("list") || done ? steps + (done ? " (done)" : " (running)") : false;
	})()`))
	if err != nil || live != "resolve,connect,tls,greeting,capability,starttls,auth,list (running)" {
		t.Errorf("while EXAMINE waits, the page lists %q (err %v), want the steps to list and no result yet", live, err)
	}
	if _, err := chromedp.Run(wctx, chromedp.Poll[chromedp.Void](`document.getElementById('live-status').dataset.done === 'true' || !document.getElementById('form-error').hidden`)); err != nil {
		t.Fatalf("waiting for the result: %v", err)
	}
	type shown struct {
		Error, Status, LiveSteps, LiveSelect, JSONLink, Secret string
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[shown](`(() => {
		const q = (s) => document.querySelector(s);
		return {
			Error: q('#form-error').hidden ? "" : q('#form-error').textContent,
			Status: q('#live-status').textContent,
			LiveSteps: [...document.querySelectorAll('#live-steps li')].map((li) => li.dataset.step).join(","),
			LiveSelect: q('#live-steps li[data-step="select"]') ? q('#live-steps li[data-step="select"]').dataset.status : "",
			JSONLink: q('#json-link').href.slice(0, 5),
			Secret: q('#secret').value === "" ? "" : "still set", // never quote it
		};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	want := shown{Status: "failed at select (mailbox.not_found)", LiveSteps: strings.Join(prober.Steps, ","), LiveSelect: "fail", JSONLink: "blob:"}
	if got != want {
		t.Errorf("the page shows %+v\nwant %+v", got, want)
	}
	// The JSON behind the link is the report: it fails at select. (The
	// page's CSP lets no fetch read a blob: URL, so read the Blob itself.)
	js, err := chromedp.Run(ctx, chromedp.Evaluate[string](`jsonBlob.text()`, chromedp.EvalAwaitPromise))
	if err != nil || !strings.Contains(js, `"code": "mailbox.not_found"`) {
		t.Fatalf("the JSON link's report (err %v):\n%.300s", err, js)
	}
	// The report drawn on the page is the JSON's: card, failing step,
	// waterfall, chain with days left, transcript in colour with times.
	checkShown(t, showReport(t, ctx, "#report"), []byte(js), step, code)
	visible, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('#diagnosis').getBoundingClientRect().height > 40`))
	if err != nil || !visible {
		t.Errorf("the diagnosis card is not visible (err %v)", err)
	}
	screenshot(t, ctx, "probe")

	if n := netlog.checkCanary(t, ctx, "alice", browserCanary); n < 5 {
		t.Errorf("read %d response bodies, want the page, its three files and the event stream", n)
	}
	netlog.mu.Lock()
	posts := netlog.secretPosts
	netlog.mu.Unlock()
	if posts != 3 {
		t.Errorf("%d POSTs to /ui/probe in the network log, want 3 (two refused, one probe)", posts)
	}
	for _, u := range netlog.urls() {
		if !strings.HasPrefix(u, uiURL+"/") && !strings.HasPrefix(u, "blob:"+uiURL+"/") {
			t.Errorf("the page requested %q, outside its own origin", u)
		}
	}
	if l := serverLog(); strings.Contains(l, browserCanary) || !strings.Contains(l, "code="+code) {
		t.Errorf("the page's log holds the password or lacks the probe:\n%s", l)
	}
}

// TestBrowserProbePageToken: behind --ui-token-file the page loads, and a
// probe without the token shows the refusal inline and asks for it; with
// it, the probe runs. Neither the token nor the password stays in the DOM.
func TestBrowserProbePageToken(t *testing.T) {
	t.Parallel()
	const token = "ui-token-canary-5eed"
	srv := fakeserver.New(t, fakeserver.WithUser("alice", browserCanary))
	dir := t.TempDir()
	ca, tokFile := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "token")
	if err := os.WriteFile(ca, srv.CACertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tokFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	uiURL, serverLog := servePage(t, "--ui-token-file", tokFile)
	ctx, netlog := newBrowser(t)
	netlog.allowSecretPost(uiURL + "/ui/probe")
	poll := func(what, expr string) string {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		s, err := chromedp.Run(wctx, chromedp.Poll[string](expr))
		if err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		return s
	}
	submit := []chromedp.Action[chromedp.Void]{
		chromedp.SetValue(chromedp.ID("url"), "imaps://alice@"+srv.Addr()+"/INBOX"),
		chromedp.SetValue(chromedp.ID("secret"), browserCanary),
		chromedp.SetUploadFiles(chromedp.ID("ca"), []string{ca}),
		chromedp.Click(chromedp.ID("run")),
	}
	if err := chromedp.Do(ctx, append([]chromedp.Action[chromedp.Void]{chromedp.Navigate(uiURL + "/ui")}, submit...)...); err != nil {
		t.Fatal(err)
	}
	const want401 = "missing or wrong token: send Authorization: Bearer TOKEN (the token in --ui-token-file)"
	if got := poll("the token form", `!document.getElementById('token-box').hidden && document.getElementById('form-error').textContent`); got != want401 {
		t.Errorf("without the token the page says %q, want %q", got, want401)
	}
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.ID("ui-token"), token), chromedp.Click(chromedp.CSS("#token-form button"))); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, submit...); err != nil {
		t.Fatal(err)
	}
	if got := poll("the result", `document.getElementById('live-status').dataset.done === 'true' && document.getElementById('live-status').textContent + " " + document.getElementById('verdict').textContent`); got != "ok OK" {
		t.Errorf("with the token the page shows %q, want ok OK", got)
	}
	dom, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML + document.getElementById('ui-token').value + document.getElementById('secret').value`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(dom, token) || strings.Contains(dom, browserCanary) {
		t.Errorf("the token or the password stays in the DOM")
	}
	netlog.checkCanary(t, ctx, "alice", browserCanary)
	if l := serverLog(); strings.Contains(l, token) || strings.Contains(l, browserCanary) || !strings.Contains(l, "status=ok") {
		t.Errorf("the server's log quotes the token or the password, or lacks the probe:\n%s", l)
	}
}
