package prober

import (
	"context"
	"net"
	"slices"
	"testing"
	"time"
)

// TestSlowNetworkWarnings covers dns.slow and tcp.slow, which loopback
// cannot produce: a slow resolver and a slow dialer are injected.
func TestSlowNetworkWarnings(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close() // no greeting: the probe ends at greeting.closed
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	pause := func(ctx context.Context) {
		select {
		case <-time.After(150 * time.Millisecond):
		case <-ctx.Done():
		}
	}
	tests := []struct {
		name, warning, step, host string
		set                       func(*Options)
	}{
		{"dns.slow", "dns.slow", StepResolve, "mail.example.com", func(o *Options) {
			o.LookupHost = func(ctx context.Context, _ string) ([]string, error) {
				pause(ctx)
				return []string{"127.0.0.1"}, nil
			}
		}},
		{"tcp.slow", "tcp.slow", StepConnect, "127.0.0.1", func(o *Options) {
			o.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
				pause(ctx)
				var d net.Dialer
				return d.DialContext(ctx, network, addr)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := baseOptions(t)
			o.Slow = 50 * time.Millisecond
			tc.set(&o)
			r := Probe(context.Background(), Target{Host: tc.host, Port: port, TLS: TLSNone}, o)
			assertFailure(t, r, StepGreeting, "greeting.closed")
			s := r.Step(tc.step)
			var got []Code
			for _, w := range s.Warnings {
				got = append(got, w.Code)
			}
			if s.Status != StatusWarn || !slices.Equal(got, []Code{Code(tc.warning)}) {
				t.Errorf("%s step: status %s, warnings %v; want warn with [%s]", tc.step, s.Status, got, tc.warning)
			}
		})
	}
}
