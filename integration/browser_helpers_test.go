package integration

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/imapprobe/imapprobe/integration/realservers"
	"github.com/imapprobe/imapprobe/internal/redact"
)

// The browser tests (issue 13) drive headless Debian Chromium through the
// DevTools protocol. Under CI=true a missing Chromium fails them, as a
// missing Dovecot does; elsewhere they skip and say how to install it.
// IMAPPROBE_CHROMIUM names another Chrome or Chromium binary.

// browserCanary is the probed account's password in the browser tests: it
// must reach neither the DOM nor any request or response the page makes.
const browserCanary = "Browser-canary-pw-51c0ffee"

// browserTimeout bounds each browser test, start-up included: Chromium
// once took over 30 s to start beside -race suites on 2 cores.
const browserTimeout = 90 * time.Second

func chromiumPath() (string, error) {
	if p := os.Getenv("IMAPPROBE_CHROMIUM"); p != "" {
		return exec.LookPath(p)
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", &realservers.UnavailableError{What: "Chromium",
		HowTo: "install it (Debian: apt-get install chromium; integration/realservers/setup.sh does), or set IMAPPROBE_CHROMIUM to a Chrome or Chromium binary"}
}

// netLog records what the page sent and received, for the canary check.
type netLog struct {
	mu        sync.Mutex
	requests  []string // method, URL, headers and body of each request
	responses []network.RequestID
	// sendsSecret is the one URL whose POST bodies carry the secret by
	// design (the probe form's): they are counted in secretPosts and left
	// out of requests, and their URL and headers are still checked.
	sendsSecret string
	secretPosts int
}

// allowSecretPost exempts the bodies of POSTs to url from checkCanary.
func (l *netLog) allowSecretPost(url string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sendsSecret = url
}

func (l *netLog) listen(ev any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch e := ev.(type) {
	case *network.EventRequestWillBeSent:
		var b strings.Builder
		b.WriteString(e.Request.Method + " " + e.Request.URL)
		for k, v := range e.Request.Headers {
			b.WriteString("\n" + k + ": " + toString(v))
		}
		if e.Request.Method == "POST" && e.Request.URL == l.sendsSecret {
			l.secretPosts++
		} else {
			for _, p := range e.Request.PostDataEntries {
				b.WriteString("\n" + string(p.Bytes))
			}
		}
		l.requests = append(l.requests, b.String())
	case *network.EventLoadingFinished:
		l.responses = append(l.responses, e.RequestID)
	}
}

func toString(v any) string {
	s, _ := v.(string)
	return s
}

// urls lists the requested URLs.
func (l *netLog) urls() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, r := range l.requests {
		first, _, _ := strings.Cut(r, "\n")
		_, u, _ := strings.Cut(first, " ")
		out = append(out, u)
	}
	return out
}

// checkCanary fails t if user's secret, as typed or in any encoding a
// client sends it in (base64, a SASL payload), is in the DOM, a request,
// or the body of a response the page received; it says how many bodies it
// read, so a test cannot pass by reading none.
func (l *netLog) checkCanary(t *testing.T, ctx context.Context, user, secret string) (bodies int) {
	t.Helper()
	encs := redact.Encodings(user, secret)
	holds := func(s string) string {
		for _, e := range encs {
			if strings.Contains(s, e) {
				return e
			}
		}
		return ""
	}
	dom, err := chromedp.Run(ctx, chromedp.Evaluate[string]("document.documentElement.outerHTML"))
	if err != nil {
		t.Fatalf("reading the DOM: %v", err)
	}
	if e := holds(dom); e != "" {
		t.Errorf("the DOM holds the password, as %q", e)
	}
	l.mu.Lock()
	reqs, ids := append([]string(nil), l.requests...), append([]network.RequestID(nil), l.responses...)
	l.mu.Unlock()
	for _, r := range reqs {
		if e := holds(r); e != "" {
			t.Errorf("a request holds the password, as %q: %.80q", e, r)
		}
	}
	for _, id := range ids {
		res, err := chromedp.Call(ctx, network.GetResponseBody, network.GetResponseBodyParams{RequestID: id})
		if err != nil {
			continue // evicted, or a response without a body (204)
		}
		bodies++
		if e := holds(string(res.Body)); e != "" {
			t.Errorf("a response body holds the password, as %q", e)
		}
	}
	return bodies
}

// newBrowser starts headless Chromium for t and records its network
// traffic; t's cleanup stops it.
func newBrowser(t *testing.T) (context.Context, *netLog) {
	t.Helper()
	path, err := chromiumPath()
	realservers.Need(t, err)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // root, in a container: Chromium refuses its sandbox
		chromedp.WindowSize(1100, 900),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	)
	ctx, cancel := context.WithTimeout(t.Context(), browserTimeout)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
		cancel()
	})
	log := &netLog{}
	start := time.Now()
	if err := chromedp.Listen(bctx, log.listen); err != nil {
		t.Fatalf("starting Chromium (%s): %v", path, err)
	}
	if _, err := chromedp.Call(bctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("Chromium (%s): Network.enable: %v", path, err)
	}
	t.Logf("Chromium (%s) ready in %v", path, time.Since(start).Round(time.Millisecond)) // where the time went, if a test nears its deadline
	return bctx, log
}

// screenshot saves the whole page as NAME.png in t's artifact directory
// (kept with go test -artifacts -outputdir DIR) and logs where.
func screenshot(t *testing.T, ctx context.Context, name string) string {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	path := filepath.Join(t.ArtifactDir(), name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", path, len(png))
	return path
}
