package integration

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/faults"
	"github.com/imapprobe/imapprobe/internal/htmlreport"
	"github.com/imapprobe/imapprobe/prober"
)

// probeFakeServer probes srv's implicit-TLS port as alice with password.
func probeFakeServer(t *testing.T, srv *fakeserver.Server, password string) *prober.Report {
	t.Helper()
	host, port, err := net.SplitHostPort(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	ctx, cancel := context.WithTimeout(t.Context(), prober.DefaultTimeout)
	defer cancel()
	return prober.Probe(ctx, prober.Target{Host: host, Port: p, User: "alice", TLS: prober.TLSImplicit},
		prober.Options{Password: password, RootCAs: srv.CAPool()})
}

// TestBrowserHTMLReport: the --html report of a failing probe, opened from
// a file in Chromium, shows the exact diagnosis code and the failing step,
// draws one bar per performed step, loads nothing but itself, runs no
// script, and holds no password. Its screenshot is report.png.
func TestBrowserHTMLReport(t *testing.T) {
	t.Parallel()
	const spec, step, code = "reply:LOGIN|AUTHENTICATE=NO [UNAVAILABLE] try later", "auth", "auth.unavailable"
	srv := fakeserver.New(t, fakeserver.WithUser("alice", browserCanary), fakeserver.WithFaults(faults.MustParse(spec)))
	rep := probeFakeServer(t, srv, browserCanary)
	if s, c := rep.Failure(); s != step || c != code {
		t.Fatalf("probe failed at %s (%s), want %s (%s)", s, c, step, code)
	}
	file := filepath.Join(t.ArtifactDir(), "report.html")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := htmlreport.Write(f, rep); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	ctx, netlog := newBrowser(t)
	// "No script needed to read it": the page's own scripts are off. The
	// test's probes below still run, through DevTools.
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+file)); err != nil {
		t.Fatal(err)
	}
	type shown struct {
		Code, DataCode, Failing, FailingText, Verdict string
		Bars, Scripts                                 int
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[shown](`(() => {
		const q = (s) => document.querySelector(s);
		const failing = q('tr[data-failing="true"]');
		return {
			Code: q('#diagnosis .code').textContent,
			DataCode: q('#diagnosis').dataset.code,
			Failing: failing ? failing.dataset.step : "",
			FailingText: failing ? failing.innerText : "",
			Verdict: q('#verdict').innerText,
			Bars: document.querySelectorAll('#waterfall svg rect.bar').length,
			Scripts: document.scripts.length,
		};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	performed := 0
	for _, s := range rep.Steps {
		if s.Status != prober.StatusSkipped && s.Status != prober.StatusNotRequested {
			performed++
		}
	}
	want := shown{Code: code, DataCode: code, Failing: step, Verdict: "FAIL at auth (auth.unavailable)", Bars: performed}
	if got.FailingText = strings.Join(strings.Fields(got.FailingText), " "); !strings.Contains(got.FailingText, "failing step") {
		t.Errorf("the failing row reads %q, want it to say \"failing step\"", got.FailingText)
	}
	got.FailingText = ""
	if got != want {
		t.Errorf("the page shows %+v, want %+v", got, want)
	}
	// The card is drawn, not just present: it has a size on screen.
	visible, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('#diagnosis').getBoundingClientRect().height > 40`))
	if err != nil || !visible {
		t.Errorf("the diagnosis card is not visible (err %v)", err)
	}
	screenshot(t, ctx, "report")
	if urls := netlog.urls(); len(urls) != 1 || urls[0] != "file://"+file {
		t.Errorf("the page requested %q, want only itself", urls)
	}
	if n := netlog.checkCanary(t, ctx, browserCanary); n < 1 {
		t.Errorf("read %d response bodies, want the page's own", n)
	}
}
