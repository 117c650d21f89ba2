package webguard

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
)

func request(host, local string, header ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "http://"+host+"/", nil)
	r.Host = host
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	if local != "" {
		addr, err := net.ResolveTCPAddr("tcp", local)
		if err != nil {
			panic(err)
		}
		r = r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, addr))
	}
	return r
}

func TestHostAllowed(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		host, local string
		want        bool
	}{
		{"127.0.0.1:8080", "127.0.0.1:8080", true},
		{"localhost:8080", "127.0.0.1:8080", true},
		{"LOCALHOST:8080", "127.0.0.1:8080", true},
		{"[::1]:8080", "[::1]:8080", true},
		{"127.0.0.1:8081", "127.0.0.1:8080", false}, // another port
		{"127.0.0.2:8080", "127.0.0.1:8080", false},
		{"attacker.example:8080", "127.0.0.1:8080", false}, // rebinding
		{"192.0.2.7:8080", "192.0.2.7:8080", true},         // the listen address itself
		{"192.0.2.8:8080", "192.0.2.7:8080", false},
		{"[fe80::1%25eth0]:8080", "[fe80::1]:8080", false},
		{"127.0.0.1", "127.0.0.1:80", true}, // no port: 80
		{"127.0.0.1:1", "", true},           // handler called directly
	} {
		if got := HostAllowed(request(tc.host, tc.local)); got != tc.want {
			t.Errorf("Host %q on %q: %v, want %v", tc.host, tc.local, got, tc.want)
		}
	}
}

func TestCrossOriginAndSite(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		header       []string
		origin, site string
	}{
		{nil, "", ""},
		{[]string{"Origin", "http://127.0.0.1:9"}, "", ""},
		{[]string{"Origin", "https://127.0.0.1:9"}, "", ""},
		{[]string{"Origin", "http://evil.example"}, "http://evil.example", ""},
		{[]string{"Sec-Fetch-Site", "same-origin"}, "", ""},
		{[]string{"Sec-Fetch-Site", "none"}, "", ""},
		{[]string{"Sec-Fetch-Site", "cross-site"}, "", "cross-site"},
		{[]string{"Sec-Fetch-Site", "same-site"}, "", "same-site"},
	} {
		r := request("127.0.0.1:9", "", tc.header...)
		if o, s := CrossOrigin(r), CrossSite(r); o != tc.origin || s != tc.site {
			t.Errorf("%q: origin %q site %q, want %q %q", tc.header, o, s, tc.origin, tc.site)
		}
	}
}

func TestBearer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		auth string
		want bool
	}{
		{"Bearer s3cret", true},
		{"bearer  s3cret ", true},
		{"Bearer s3cre", false},
		{"Basic s3cret", false},
		{"s3cret", false},
		{"", false},
	} {
		if got := Bearer(request("h:1", "", "Authorization", tc.auth), "s3cret"); got != tc.want {
			t.Errorf("%q: %v, want %v", tc.auth, got, tc.want)
		}
	}
}

func TestIsLoopback(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]bool{
		"127.0.0.1:9954": true, "[::1]:9954": true, "localhost:0": true, "127.0.0.2:1": true,
		":9954": false, "0.0.0.0:9954": false, "[::]:1": false, "192.0.2.1:1": false, "127.0.0.1": false,
	} {
		if got := IsLoopback(addr); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", addr, got, want)
		}
	}
}
