// Package webguard holds the checks that keep a page on another site from
// driving a local HTTP API through the user's browser: DNS rebinding,
// cross-origin requests, and a bearer token. fakeimapd's control API and
// imapprobe serve's live page share them.
package webguard

import (
	"crypto/sha256"
	"crypto/subtle"
	"net"
	"net/http"
	"strings"
)

// HostAllowed accepts a Host that names the address the request came in
// on, or localhost, 127.0.0.1 or [::1], with the listen port: a page whose
// name was rebound to 127.0.0.1 still sends its own name. Without a known
// local address (a handler called directly) any port passes.
func HostAllowed(r *http.Request) bool {
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

// CrossOrigin returns the Origin of a request from another origin, or ""
// when there is none or it is this host's own.
func CrossOrigin(r *http.Request) string {
	o := r.Header.Get("Origin")
	if o == "" || strings.EqualFold(o, "http://"+r.Host) || strings.EqualFold(o, "https://"+r.Host) {
		return ""
	}
	return o
}

// CrossSite returns the Sec-Fetch-Site a browser sent for a request that
// another site's page made, or "" for same-origin, none (typed in the
// address bar) or no header (a tool such as curl).
func CrossSite(r *http.Request) string {
	switch site := r.Header.Get("Sec-Fetch-Site"); site {
	case "", "same-origin", "none":
		return ""
	default:
		return site
	}
}

// Bearer reports whether r carries "Authorization: Bearer TOKEN". It
// compares hashes in constant time, so not even the length leaks.
func Bearer(r *http.Request, token string) bool {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	a, b := sha256.Sum256([]byte(strings.TrimSpace(tok))), sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
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
