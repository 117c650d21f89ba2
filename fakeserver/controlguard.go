package fakeserver

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/imapprobe/imapprobe/internal/webguard"
)

// controlGuard refuses the requests a web page could make to a loopback
// daemon, the way Docker's and other local APIs do:
//   - DNS rebinding: a page on attacker.example whose name now resolves to
//     127.0.0.1 sends Host: attacker.example; only the listen address and
//     localhost names pass.
//   - Cross-origin requests: a browser sends Origin (and Sec-Fetch-Site);
//     only the API's own origin passes.
//   - Simple requests: a page may POST text/plain or a form without a
//     preflight; mutations need application/json or ControlHeader, which
//     force one, and the API answers no preflight.
//   - With a token, every request needs "Authorization: Bearer TOKEN",
//     except GETs of the dashboard page and its files, which hold no data.
type controlGuard struct {
	next  http.Handler
	token string
}

func (g *controlGuard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !webguard.HostAllowed(r) {
		http.Error(w, "refused: Host "+strconv.Quote(abbrev(r.Host))+" is not this control API's address; use 127.0.0.1, [::1] or localhost with its port", http.StatusForbidden)
		return
	}
	if o := webguard.CrossOrigin(r); o != "" {
		http.Error(w, "refused: cross-origin request from "+strconv.Quote(abbrev(o))+"; the control API is for local tools, not web pages", http.StatusForbidden)
		return
	}
	if site := webguard.CrossSite(r); site != "" {
		http.Error(w, "refused: "+strconv.Quote(abbrev(site))+" browser request; the control API is for local tools, not web pages", http.StatusForbidden)
		return
	}
	if g.token != "" && !webguard.Bearer(r, g.token) && !isDashboard(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="fakeimapd"`)
		http.Error(w, "missing or wrong token: send Authorization: Bearer TOKEN (the token in --control-token-file)", http.StatusUnauthorized)
		return
	}
	if isMutation(r.Method) && !marked(r) {
		http.Error(w, "refused: a change needs Content-Type: application/json or the header "+ControlHeader+": 1, e.g. curl -H '"+ControlHeader+": 1' --data SPEC", http.StatusForbidden)
		return
	}
	g.next.ServeHTTP(w, r)
}

func isMutation(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// marked says whether a request shows it was not a browser's simple
// request: ControlHeader set to 1, or a JSON content type.
func marked(r *http.Request) bool {
	if r.Header.Get(ControlHeader) == "1" {
		return true
	}
	ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
	return strings.EqualFold(strings.TrimSpace(ct), "application/json")
}

// abbrev shortens request text quoted in an error.
func abbrev(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
