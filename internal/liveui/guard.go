package liveui

import (
	"net/http"

	"github.com/imapprobe/imapprobe/internal/webguard"
)

// guard refuses what another web page could make a browser send here,
// as fakeimapd's control API does, with the checks of internal/webguard:
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
	case g.token == "" && !webguard.HostAllowed(r):
		http.Error(w, "refused: Host is not this page's address; use 127.0.0.1, [::1] or localhost with its port", http.StatusForbidden)
	case webguard.CrossOrigin(r) != "" || webguard.CrossSite(r) != "":
		http.Error(w, "refused: cross-origin request; this page takes requests from itself only", http.StatusForbidden)
	case g.token != "" && !isStatic(r) && !webguard.Bearer(r, g.token):
		w.Header().Set("WWW-Authenticate", `Bearer realm="imapprobe"`)
		http.Error(w, "missing or wrong token: send Authorization: Bearer TOKEN (the token in --ui-token-file)", http.StatusUnauthorized)
	case r.Method == http.MethodPost && r.Header.Get(Header) != "1":
		http.Error(w, "refused: a POST needs the header "+Header+": 1", http.StatusForbidden)
	default:
		g.next.ServeHTTP(w, r)
	}
}
