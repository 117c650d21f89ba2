package prober

import (
	"context"
	"errors"
	"net"
	"strconv"
)

// ResolveDetails is the evidence of the resolve step.
type ResolveDetails struct {
	Name      string   `json:"name"`
	Source    string   `json:"source"` // "dns", "ip-literal" or "connect-addr"
	Addresses []string `json:"addresses"`
}

func (p *probe) resolve(in session, s *Step) (session, bool) {
	d := &ResolveDetails{Name: p.t.Host}
	s.Details = d
	if p.t.ConnectAddr != "" {
		ip, port, err := splitConnectAddr(p.t.ConnectAddr, p.t.Port)
		if err != nil {
			return in, p.fail(s, "dns.failure", err.Error())
		}
		d.Source = "connect-addr"
		d.Addresses = []string{net.JoinHostPort(ip.String(), strconv.Itoa(port))}
		in.addrs = d.Addresses
		return in, true
	}
	port := strconv.Itoa(p.t.Port)
	if ip := net.ParseIP(p.t.Host); ip != nil {
		d.Source = "ip-literal"
		d.Addresses = []string{net.JoinHostPort(ip.String(), port)}
		in.addrs = d.Addresses
		return in, true
	}
	d.Source = "dns"
	lookup := p.o.LookupHost
	if lookup == nil {
		lookup = net.DefaultResolver.LookupHost
	}
	ctx, cancel := context.WithDeadline(p.ctx, p.deadline)
	defer cancel()
	ips, err := lookup(ctx, p.t.Host)
	if err == nil && len(ips) == 0 {
		err = &net.DNSError{Err: "no addresses", Name: p.t.Host, IsNotFound: true}
	}
	if err != nil {
		var dnsErr *net.DNSError
		switch {
		case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
			return in, p.fail(s, "dns.not_found", err.Error())
		case isTimeout(err) || ctx.Err() != nil:
			return in, p.fail(s, "dns.timeout", err.Error())
		}
		return in, p.fail(s, "dns.failure", err.Error())
	}
	for _, ip := range ips {
		d.Addresses = append(d.Addresses, net.JoinHostPort(ip, port))
	}
	in.addrs = d.Addresses
	return in, true
}
