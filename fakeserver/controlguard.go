package fakeserver

import (
	"crypto/sha256"
	"crypto/subtle"
	"net"
	"net/http"
	"strconv"
	"strings"
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
	if !allowedHost(r) {
		http.Error(w, "refused: Host "+strconv.Quote(abbrev(r.Host))+" is not this control API's address; use 127.0.0.1, [::1] or localhost with its port", http.StatusForbidden)
		return
	}
	if o := r.Header.Get("Origin"); o != "" && !strings.EqualFold(o, "http://"+r.Host) {
		http.Error(w, "refused: cross-origin request from "+strconv.Quote(abbrev(o))+"; the control API is for local tools, not web pages", http.StatusForbidden)
		return
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		http.Error(w, "refused: "+strconv.Quote(abbrev(site))+" browser request; the control API is for local tools, not web pages", http.StatusForbidden)
		return
	}
	if g.token != "" && !g.authorized(r) && !isDashboard(r) {
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

// authorized compares the bearer token in constant time (hashes first, so
// not even the length leaks).
func (g *controlGuard) authorized(r *http.Request) bool {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	a, b := sha256.Sum256([]byte(strings.TrimSpace(tok))), sha256.Sum256([]byte(g.token))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
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

// allowedHost accepts a Host that names the address the request came in
// on, or localhost, 127.0.0.1 or [::1], with the listen port. Without a
// known local address (a handler called directly) any port passes.
func allowedHost(r *http.Request) bool {
	host, port, err := net.SplitHostPort(r.Host)
	if err != nil {
		// No port: the default one, 80.
		host, port = strings.TrimSuffix(strings.TrimPrefix(r.Host, "["), "]"), "80"
	}
	var localIP net.IP
	if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		lh, lp, err := net.SplitHostPort(la.String())
		if err != nil || lp != port {
			return false
		}
		localIP = net.ParseIP(lh)
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	if ip == nil || strings.Contains(host, "%") {
		return false
	}
	return ip.Equal(net.IPv4(127, 0, 0, 1)) || ip.Equal(net.IPv6loopback) || (localIP != nil && ip.Equal(localIP))
}

// abbrev shortens request text quoted in an error.
func abbrev(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
