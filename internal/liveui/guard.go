package liveui

import (
	"crypto/sha256"
	"crypto/subtle"
	"net"
	"net/http"
	"strings"
)

// guard refuses what another web page could make a browser send here,
// as fakeimapd's control API does (see fakeserver/controlguard.go):
//   - DNS rebinding: without a token (so on loopback), only a Host naming
//     the listen address or localhost passes;
//   - cross-origin requests: an Origin or Sec-Fetch-Site from elsewhere;
//   - simple requests: a form on another site can POST without a
//     preflight, but cannot add Header, which POSTs need;
//   - with a token, everything but the page's static files needs
//     "Authorization: Bearer TOKEN".
type guard struct {
	next  http.Handler
	token string
}

// Header must be "1" on every POST: a cross-site form cannot set it.
const Header = "X-Imapprobe-UI"

func (g *guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case g.token == "" && !loopbackHost(r):
		http.Error(w, "refused: Host is not this page's address; use 127.0.0.1, [::1] or localhost with its port", http.StatusForbidden)
	case !sameOrigin(r):
		http.Error(w, "refused: cross-origin request; this page takes requests from itself only", http.StatusForbidden)
	case g.token != "" && !isStatic(r) && !g.authorized(r):
		w.Header().Set("WWW-Authenticate", `Bearer realm="imapprobe"`)
		http.Error(w, "missing or wrong token: send Authorization: Bearer TOKEN (the token in --ui-token-file)", http.StatusUnauthorized)
	case r.Method == http.MethodPost && r.Header.Get(Header) != "1":
		http.Error(w, "refused: a POST needs the header "+Header+": 1", http.StatusForbidden)
	default:
		g.next.ServeHTTP(w, r)
	}
}

func sameOrigin(r *http.Request) bool {
	if o := r.Header.Get("Origin"); o != "" && !strings.EqualFold(o, "http://"+r.Host) && !strings.EqualFold(o, "https://"+r.Host) {
		return false
	}
	site := r.Header.Get("Sec-Fetch-Site")
	return site == "" || site == "same-origin" || site == "none"
}

// authorized compares the bearer token in constant time (hashes first,
// so not even its length leaks).
func (g *guard) authorized(r *http.Request) bool {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	a, b := sha256.Sum256([]byte(strings.TrimSpace(tok))), sha256.Sum256([]byte(g.token))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// loopbackHost accepts localhost, 127.0.0.1 or [::1], with the port the
// request came in on when that is known.
func loopbackHost(r *http.Request) bool {
	host, port, err := net.SplitHostPort(r.Host)
	if err != nil {
		host, port = strings.TrimSuffix(strings.TrimPrefix(r.Host, "["), "]"), "80"
	}
	if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if _, lp, err := net.SplitHostPort(la.String()); err != nil || lp != port {
			return false
		}
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && !strings.Contains(host, "%") && ip.IsLoopback()
}

// IsLoopback reports whether a listen address binds loopback only: an IP
// literal in 127.0.0.0/8 or ::1, or localhost. ":9954" and "0.0.0.0:9954"
// are not.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
