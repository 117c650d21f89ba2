package fakeserver

import (
	"embed"
	"net/http"
)

// dashboardFiles is the control API's web page: hand-written HTML, CSS and
// a little JavaScript, served from the binary (no build step, no CDN).
//
//go:embed dashboard/index.html dashboard/dashboard.css dashboard/dashboard.js
var dashboardFiles embed.FS

// dashboardPaths are the page and its two files: GETs the guard lets
// through without the token, since they hold no data; the page asks for
// the token and sends it with its API calls.
var dashboardPaths = map[string]struct{ file, contentType string }{
	"/":                 {"dashboard/index.html", "text/html; charset=utf-8"},
	"/ui":               {"dashboard/index.html", "text/html; charset=utf-8"},
	"/ui/dashboard.css": {"dashboard/dashboard.css", "text/css; charset=utf-8"},
	"/ui/dashboard.js":  {"dashboard/dashboard.js", "text/javascript; charset=utf-8"},
}

// dashboardPolicy keeps the page to its own origin: only its own script and
// style, API calls to itself, no framing by another page (clickjacking).
const dashboardPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"

func isDashboard(r *http.Request) bool {
	_, ok := dashboardPaths[r.URL.Path]
	return ok && (r.Method == http.MethodGet || r.Method == http.MethodHead)
}

func serveDashboard(w http.ResponseWriter, r *http.Request) {
	p := dashboardPaths[r.URL.Path]
	b, err := dashboardFiles.ReadFile(p.file)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", p.contentType)
	h.Set("Content-Security-Policy", dashboardPolicy)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write(b)
}
