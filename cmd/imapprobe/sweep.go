package main

import (
	"context"
	"github.com/imapprobe/imapprobe/internal/textreport"
	"net"

	"github.com/imapprobe/imapprobe/prober"
)

// sweepLookup resolves names for --all-addrs; tests replace it.
var sweepLookup = net.DefaultResolver.LookupHost

// sweep turns the targets into jobs. With --all-addrs each host name
// becomes one job per address (A and AAAA, or only one family with -4 or
// -6), each pinned to its address with ConnectAddr while the certificate
// is still verified for the name: a broken AAAA record no longer hides
// behind a working A. A target that is an IP, already has --connect-addr,
// or does not resolve stays one job, so that its probe reports the DNS
// failure itself.
func sweep(ctx context.Context, targets []prober.Target, o prober.Options, p pipeline) []job {
	var jobs []job
	for _, t := range targets {
		if !p.allAddrs || t.ConnectAddr != "" || net.ParseIP(t.Host) != nil {
			jobs = append(jobs, job{target: t, label: textreport.DescribeTarget(t)})
			continue
		}
		lookup := o.LookupHost
		if lookup == nil {
			lookup = sweepLookup
		}
		timeout := o.StepTimeout
		if timeout <= 0 {
			timeout = prober.DefaultStepTimeout
		}
		lctx, cancel := context.WithTimeout(ctx, timeout)
		addrs, err := lookup(lctx, t.Host)
		cancel()
		addrs = filterFamily(addrs, p.only4, p.only6)
		if err != nil || len(addrs) == 0 {
			jobs = append(jobs, job{target: t, label: textreport.DescribeTarget(t)})
			continue
		}
		for _, a := range dedupe(addrs) {
			pinned := t
			pinned.ConnectAddr = a
			jobs = append(jobs, job{target: pinned, label: textreport.DescribeTarget(pinned)})
		}
	}
	return jobs
}

// familyLookup restricts a resolver to IPv6 (v6) or IPv4 addresses, for
// -4 and -6; a name with none of that family then fails as dns.not_found.
func familyLookup(lookup func(context.Context, string) ([]string, error), v6 bool) func(context.Context, string) ([]string, error) {
	if lookup == nil {
		lookup = sweepLookup
	}
	return func(ctx context.Context, host string) ([]string, error) {
		addrs, err := lookup(ctx, host)
		if err != nil {
			return nil, err
		}
		addrs = filterFamily(addrs, !v6, v6)
		if len(addrs) == 0 {
			fam := "IPv4 (A)"
			if v6 {
				fam = "IPv6 (AAAA)"
			}
			return nil, &net.DNSError{Err: "no " + fam + " address", Name: host, IsNotFound: true}
		}
		return addrs, nil
	}
}

func filterFamily(addrs []string, only4, only6 bool) []string {
	if !only4 && !only6 {
		return addrs
	}
	var out []string
	for _, a := range addrs {
		ip := net.ParseIP(a)
		if ip == nil {
			continue
		}
		if is4 := ip.To4() != nil; is4 == only4 {
			out = append(out, a)
		}
	}
	return out
}

func dedupe(addrs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, a := range addrs {
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return out
}
