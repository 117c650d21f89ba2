package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
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
// a file in an offline Chromium with scripts off, shows the exact
// diagnosis code and the failing step, one waterfall bar per performed
// step, the chain with its days left, and the transcript in its colours
// with relative times; it loads nothing but itself and holds the password
// in no encoding. Its screenshot is report.png.
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
	// "Opens with no network": the browser is offline, for every URL.
	offline := network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: []*network.Conditions{
		{Offline: true, DownloadThroughput: -1, UploadThroughput: -1}}}
	if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, offline); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: true, DownloadThroughput: -1, UploadThroughput: -1}); err != nil {
		t.Fatal(err)
	}
	// A server the page could reach if the browser were online: the
	// control that the offline emulation holds.
	var hits atomic.Int32
	online := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	t.Cleanup(online.Close)
	// "No script needed to read it": the page's own scripts are off. The
	// test's probes below still run, through DevTools.
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+file)); err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	checkShown(t, showReport(t, ctx, "body"), js, step, code)
	// The inline CSS applies (the verdict is on red), no script is in the
	// file, and the card is drawn, not just present: it has a size.
	type drawn struct {
		VerdictBackground string
		Scripts           int
		CardHeight        float64
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[drawn](`({
		VerdictBackground: getComputedStyle(document.getElementById('verdict')).backgroundColor,
		Scripts: document.scripts.length,
		CardHeight: document.getElementById('diagnosis').getBoundingClientRect().height,
	})`))
	if err != nil || got.VerdictBackground != "rgb(207, 34, 46)" || got.Scripts != 0 || got.CardHeight < 40 {
		t.Errorf("drawn %+v (err %v), want the verdict on rgb(207, 34, 46), no script, a card over 40 px high", got, err)
	}
	screenshot(t, ctx, "report")
	if urls := netlog.urls(); len(urls) != 1 || urls[0] != "file://"+file {
		t.Errorf("the page requested %q, want only itself", urls)
	}
	if n := netlog.checkCanary(t, ctx, "alice", browserCanary); n < 1 {
		t.Errorf("read %d response bodies, want the page's own", n)
	}
	// Last, as it adds to the network log: the control.
	fetched, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`fetch(%q, {mode: "no-cors"}).then(() => "loaded", () => "failed").then((r) => r + " onLine=" + navigator.onLine)`, online.URL), chromedp.EvalAwaitPromise))
	if err != nil || fetched != "failed onLine=false" || hits.Load() != 0 {
		t.Errorf("a fetch from the page: %q (err %v), %d requests reached the server; want failed onLine=false and none: the browser is not offline", fetched, err, hits.Load())
	}
}
