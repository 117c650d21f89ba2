package main

import (
	"context"
	"net"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/imapprobe/imapprobe/fakeserver"
)

// hasLoopback6 reports whether the kernel lists ::1 on an interface.
func hasLoopback6() bool {
	b, err := os.ReadFile("/proc/net/if_inet6")
	return err == nil && regexp.MustCompile(`(?m)^0{31}1 `).Match(b)
}

// dualStackFakes starts a fake on 127.0.0.1:P and, when v6, another on
// [::1]:P: "localhost:P" then works over both families.
func dualStackFakes(t *testing.T, v6 bool) (port string, srvs []*fakeserver.Server) {
	t.Helper()
	if !hasLoopback6() {
		t.Skip("this machine has no ::1 (/proc/net/if_inet6 does not list it): the IPv6 half of --all-addrs cannot be tested here")
	}
	for try := 0; try < 5; try++ {
		a := fake(t)
		_, port, _ = net.SplitHostPort(a.Addr())
		if !v6 {
			return port, []*fakeserver.Server{a}
		}
		b, err := fakeserver.Start(fakeserver.WithUser("alice", fakePassword), fakeserver.WithTLSListen("[::1]:"+port))
		if err == nil {
			t.Cleanup(func() { b.Close() })
			return port, []*fakeserver.Server{a, b}
		}
		// ::1 is listed, so failing to listen there is a failure unless the port is taken
		if !strings.Contains(err.Error(), "address already in use") {
			t.Fatalf("::1 is configured but the fake cannot listen on it: %v", err)
		}
	}
	t.Fatal("no port free on both 127.0.0.1 and ::1 after 5 tries")
	return "", nil
}

// TestAllAddrs: localhost resolving to 127.0.0.1 and ::1 gives two
// results, -4 and -6 one each, and a dead AAAA no longer hides behind a
// working A. Not parallel: it replaces the resolver (this machine's
// /etc/hosts may map localhost to 127.0.0.1 alone).
func TestAllAddrs(t *testing.T) {
	old := sweepLookup
	sweepLookup = func(ctx context.Context, host string) ([]string, error) {
		if host == "localhost" {
			return []string{"127.0.0.1", "::1", "127.0.0.1"}, nil // a duplicate is probed once
		}
		return old(ctx, host)
	}
	t.Cleanup(func() { sweepLookup = old })

	port, both := dualStackFakes(t, true)
	url := "imaps://alice@localhost:" + port + "/INBOX"
	ca := caBundle(t, both...)
	row := func(addr, rest string) string {
		return `(?m)^` + regexp.QuoteMeta(url+" (TLS implicit) via "+addr) + ` +` + rest + `$`
	}
	cases := []struct {
		name string
		args []string
		code int
		rows []string
	}{
		{"both", []string{"--all-addrs"}, 0, []string{row("127.0.0.1", `OK +\S+ +0`), row("::1", `OK +\S+ +0`), `(?m)^2 targets: 2 ok`}},
		{"ipv4", []string{"--all-addrs", "-4"}, 0, []string{row("127.0.0.1", `OK +\S+ +0`), `(?m)^1 targets: 1 ok`}},
		{"ipv6", []string{"--all-addrs", "-6"}, 0, []string{row("::1", `OK +\S+ +0`), `(?m)^1 targets: 1 ok`}},
	}
	for _, c := range cases {
		// --targets makes even one result a table
		r := invoke(append([]string{"--ca-file", ca, "--targets", writeTargets(t, url)}, c.args...), pwEnv)
		if r.code != c.code {
			t.Errorf("%s: exit %d, want %d\n%s%s", c.name, r.code, c.code, r.stdout, r.stderr)
		}
		for _, w := range c.rows {
			if !regexp.MustCompile(w).MatchString(r.stdout) {
				t.Errorf("%s: output lacks %s:\n%s", c.name, w, r.stdout)
			}
		}
		if n := strings.Count(r.stdout, "\n"); n != len(c.rows)+1 {
			t.Errorf("%s: %d lines, want %d:\n%s", c.name, n, len(c.rows)+1, r.stdout)
		}
	}
	// one URL that resolves to two addresses is a batch: a JSON line each
	r := invoke([]string{"--ca-file", ca, "--all-addrs", "--json", url}, pwEnv)
	if r.code != 0 || strings.Count(r.stdout, "\n") != 2 || !strings.Contains(r.stdout, `"connect_addr":"::1"`) || !strings.Contains(r.stdout, `"connect_addr":"127.0.0.1"`) {
		t.Errorf("--json: exit %d, want two JSON lines, one per address:\n%s%s", r.code, r.stdout, r.stderr)
	}

	// only the A works: the ::1 row shows it, where a plain probe would pass on 127.0.0.1
	port4, v4only := dualStackFakes(t, false)
	url4 := "imaps://alice@localhost:" + port4 + "/INBOX"
	ca4 := caBundle(t, v4only...)
	r = invoke([]string{"--ca-file", ca4, "--all-addrs", url4}, pwEnv)
	dead := `(?m)^` + regexp.QuoteMeta(url4+" (TLS implicit) via ::1") + ` +FAIL +connect +tcp\.refused +\S+ +3$`
	if r.code != 3 || !regexp.MustCompile(dead).MatchString(r.stdout) {
		t.Errorf("dead AAAA: exit %d, want 3 and a row matching %s:\n%s%s", r.code, dead, r.stdout, r.stderr)
	}
}

// TestFamilyFlags: -6 without --all-addrs restricts the probe's own
// resolution, so a name with no AAAA fails as dns.not_found.
func TestFamilyFlags(t *testing.T) {
	t.Parallel()
	srv := fake(t)
	_, port, _ := net.SplitHostPort(srv.Addr())
	ca := caBundle(t, srv)
	// the system resolver: /etc/hosts maps localhost to 127.0.0.1 at least
	addrs, err := net.DefaultResolver.LookupHost(context.Background(), "localhost")
	if err != nil {
		t.Skipf("localhost does not resolve here: %v", err)
	}
	has6 := false
	for _, a := range addrs {
		has6 = has6 || strings.Contains(a, ":")
	}
	r := invoke([]string{"--ca-file", ca, "-4", "imaps://alice@localhost:" + port + "/INBOX"}, pwEnv)
	if r.code != 0 {
		t.Errorf("-4: exit %d, want 0\n%s", r.code, r.stdout)
	}
	if !has6 {
		r := invoke([]string{"--ca-file", ca, "-6", "imaps://alice@localhost:" + port + "/INBOX"}, pwEnv)
		if r.code != 3 || !strings.Contains(r.stdout, "dns.not_found") || !strings.Contains(r.stdout, "no IPv6 (AAAA) address") {
			t.Errorf("-6 for a name without AAAA: exit %d, want 3 and dns.not_found\n%s", r.code, r.stdout)
		}
	}
}

func writeTargets(t *testing.T, urls ...string) string {
	t.Helper()
	path := t.TempDir() + "/targets.txt"
	if err := os.WriteFile(path, []byte(strings.Join(urls, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
