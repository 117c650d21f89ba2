// Package liveui is the live probe page of imapprobe serve (issue 13): a
// form (URL, TLS mode, mechanism, mailbox, CA file, password or token)
// whose POST runs one probe and answers with Server-Sent Events: a "step"
// event as each step ends, then a "result" event with the report rendered
// by internal/htmlreport and the report's JSON.
//
// The secret comes only in the POST body, is used for that one probe and
// is never stored, logged, echoed or put in a URL; the report it yields is
// redacted by the prober. The page is hand-written HTML, CSS and a little
// JavaScript, embedded in the binary, under a Content-Security-Policy
// that allows nothing but its own origin.
package liveui

import (
	"cmp"
	"context"
	"embed"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/imapprobe/imapprobe/internal/htmlreport"
	"github.com/imapprobe/imapprobe/prober"
)

//go:embed static/index.html static/ui.css static/ui.js
var files embed.FS

// Limits of a POST.
const (
	// MaxCAFile bounds the uploaded CA file (PEM); a system bundle is
	// about 200 KiB.
	MaxCAFile = 512 << 10
	// MaxBody bounds the whole POST: the CA file and the short fields.
	MaxBody = MaxCAFile + 64<<10
	// DefaultMaxConcurrent probes run at once; more are answered 503.
	DefaultMaxConcurrent = 4
)

// Options configure the page.
type Options struct {
	// Token, if set, is required as "Authorization: Bearer TOKEN" on every
	// request but the static files; without it the page must listen on
	// loopback (the caller checks, see IsLoopback) and refuses other Hosts.
	Token         string
	Logger        *slog.Logger  // default: discard
	MaxConcurrent int           // default DefaultMaxConcurrent
	Timeout       time.Duration // a whole probe; default prober.DefaultTimeout
	// Probe replaces prober.Probe (tests).
	Probe func(ctx context.Context, t prober.Target, o prober.Options) *prober.Report
}

// UI serves the page.
type UI struct {
	opts  Options
	log   *slog.Logger
	slots chan struct{}
}

// New returns the page's server.
func New(o Options) *UI {
	o.MaxConcurrent = cmp.Or(o.MaxConcurrent, DefaultMaxConcurrent)
	o.Timeout = cmp.Or(o.Timeout, prober.DefaultTimeout)
	if o.Probe == nil {
		o.Probe = prober.Probe
	}
	u := &UI{opts: o, log: o.Logger, slots: make(chan struct{}, o.MaxConcurrent)}
	if u.log == nil {
		u.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return u
}

// static are the page and its files: GETs that hold no data, so the
// guard lets them through without the token (the page asks for it).
var static = map[string]struct{ file, contentType string }{
	"/":              {"static/index.html", "text/html; charset=utf-8"},
	"/ui":            {"static/index.html", "text/html; charset=utf-8"},
	"/ui/":           {"static/index.html", "text/html; charset=utf-8"},
	"/ui/ui.css":     {"static/ui.css", "text/css; charset=utf-8"},
	"/ui/ui.js":      {"static/ui.js", "text/javascript; charset=utf-8"},
	"/ui/report.css": {"", "text/css; charset=utf-8"}, // htmlreport's own
}

// Policy keeps the page to its own origin: its own script and styles,
// fetches to itself, blob: for the JSON download, no framing.
const Policy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"

func isStatic(r *http.Request) bool {
	_, ok := static[r.URL.Path]
	return ok && (r.Method == http.MethodGet || r.Method == http.MethodHead)
}

// Handler serves the page, its files and POST /ui/probe, behind the guard.
func (u *UI) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/ui/probe", u.handleProbe)
	mux.HandleFunc("/", u.serveStatic)
	return &guard{next: secureHeaders(mux), token: u.opts.Token}
}

func secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", Policy)
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

func (u *UI) serveStatic(w http.ResponseWriter, r *http.Request) {
	f, ok := static[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, r.URL.Path+" takes GET", http.StatusMethodNotAllowed)
		return
	}
	var body string
	if f.file == "" {
		body = htmlreport.CSS()
	} else {
		b, err := files.ReadFile(f.file)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		body = string(b)
	}
	w.Header().Set("Content-Type", f.contentType)
	_, _ = io.Copy(w, strings.NewReader(body))
}
