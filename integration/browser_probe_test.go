package integration

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/faults"
	"github.com/imapprobe/imapprobe/internal/liveui"
	"github.com/imapprobe/imapprobe/prober"
)

// lockedLog is the page's log, written by its handlers, read by the test.
type lockedLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestBrowserProbePage: on imapprobe serve's live page, a probe run through
// the form (URL, the fake's CA file uploaded, the password) against the
// fake under an EXAMINE fault shows each step live, then the diagnosis
// card with the exact code and the failing step marked, and a link to the
// JSON. The password is nowhere in the DOM, the password field, the
// requests (but the form's own POST body), the responses or the log. Its
// screenshot is probe.png.
func TestBrowserProbePage(t *testing.T) {
	t.Parallel()
	const spec, step, code = "reply:EXAMINE=NO [NONEXISTENT] no such mailbox", "select", "mailbox.not_found"
	// The delay holds EXAMINE's answer, so that the test sees the steps
	// before it on the page while the probe still runs.
	srv := fakeserver.New(t, fakeserver.WithUser("alice", browserCanary),
		fakeserver.WithFaults(faults.MustParse("delay:EXAMINE=700ms"), faults.MustParse(spec)))
	ca := filepath.Join(t.TempDir(), "fake-ca.pem")
	if err := os.WriteFile(ca, srv.CACertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	logs := &lockedLog{}
	ui := httptest.NewServer(liveui.New(liveui.Options{Logger: slog.New(slog.NewTextHandler(logs, nil))}).Handler())
	t.Cleanup(ui.Close)

	ctx, netlog := newBrowser(t)
	netlog.allowSecretPost(ui.URL + "/ui/probe")
	if err := chromedp.Do(ctx,
		chromedp.Navigate(ui.URL+"/ui"),
		chromedp.SetValue(chromedp.ID("url"), "imaps://alice@"+srv.Addr()+"/INBOX"),
		chromedp.SetValue(chromedp.ID("secret"), browserCanary),
		chromedp.SetUploadFiles(chromedp.ID("ca"), []string{ca}),
		chromedp.Click(chromedp.ID("run")),
	); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
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
		Error, Status, Code, DataCode, Failing, FailingText, LiveSteps, LiveSelect, JSONLink, Secret string
		Bars                                                                                         int
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[shown](`(() => {
		const q = (s) => document.querySelector(s);
		const failing = q('#report tr[data-failing="true"]');
		return {
			Error: q('#form-error').hidden ? "" : q('#form-error').textContent,
			Status: q('#live-status').textContent,
			Code: q('#diagnosis .code') ? q('#diagnosis .code').textContent : "",
			DataCode: q('#diagnosis') ? q('#diagnosis').dataset.code : "",
			Failing: failing ? failing.dataset.step : "",
			FailingText: failing ? failing.innerText : "",
			LiveSteps: [...document.querySelectorAll('#live-steps li')].map((li) => li.dataset.step).join(","),
			LiveSelect: q('#live-steps li[data-step="select"]') ? q('#live-steps li[data-step="select"]').dataset.status : "",
			JSONLink: q('#json-link').href.slice(0, 5),
			Secret: q('#secret').value === "" ? "" : "still set", // never quote it
			Bars: document.querySelectorAll('#report #waterfall svg rect.bar').length,
		};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	want := shown{Status: "failed at select (mailbox.not_found)", Code: code, DataCode: code, Failing: step,
		LiveSteps: strings.Join(prober.Steps, ","), LiveSelect: "fail", JSONLink: "blob:", Bars: 8} // resolve to select, but starttls (implicit TLS)
	if got.FailingText = strings.Join(strings.Fields(got.FailingText), " "); !strings.Contains(got.FailingText, "failing step") {
		t.Errorf("the failing row reads %q, want it to say \"failing step\"", got.FailingText)
	}
	got.FailingText = ""
	if got != want {
		t.Errorf("the page shows %+v\nwant %+v", got, want)
	}
	visible, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('#diagnosis').getBoundingClientRect().height > 40`))
	if err != nil || !visible {
		t.Errorf("the diagnosis card is not visible (err %v)", err)
	}
	// The JSON behind the link is the report: it fails at select. (The
	// page's CSP lets no fetch read a blob: URL, so read the Blob itself.)
	js, err := chromedp.Run(ctx, chromedp.Evaluate[string](`jsonBlob.text()`, chromedp.EvalAwaitPromise))
	if err != nil || !strings.Contains(js, `"code": "mailbox.not_found"`) || strings.Contains(js, browserCanary) {
		t.Errorf("the JSON link's report (err %v):\n%.300s", err, js)
	}
	screenshot(t, ctx, "probe")

	if n := netlog.checkCanary(t, ctx, browserCanary); n < 5 {
		t.Errorf("read %d response bodies, want the page, its three files and the event stream", n)
	}
	netlog.mu.Lock()
	posts := netlog.secretPosts
	netlog.mu.Unlock()
	if posts != 1 {
		t.Errorf("%d POSTs to /ui/probe in the network log, want 1", posts)
	}
	for _, u := range netlog.urls() {
		if !strings.HasPrefix(u, ui.URL+"/") && !strings.HasPrefix(u, "blob:"+ui.URL+"/") {
			t.Errorf("the page requested %q, outside its own origin", u)
		}
	}
	if l := logs.String(); strings.Contains(l, browserCanary) || !strings.Contains(l, "code="+code) {
		t.Errorf("the page's log holds the password or lacks the probe:\n%s", l)
	}
}
