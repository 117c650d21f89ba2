package fakeserver_test

import (
	"crypto/tls"
	"net"
	"testing"
	"time"
)

// timingSlack is how late a delayed reply may come on a loaded shared
// 2-core machine (a 200 ms delay once took 324 ms, and under -race -count=3
// beside a starting dockerd 5.6 s). The lower bound of a
// window is exact: it catches a delay that did not happen; the slack only
// keeps a busy scheduler from failing the test.
const timingSlack = 10 * time.Second

// TestDelay measures each delay target from the client: at least the
// delay, and less than the delay plus timingSlack. A delay scoped to
// another user is long, so that its wrongly applying would pass the
// window.
func TestDelay(t *testing.T) {
	t.Parallel()
	tests := []struct {
		spec     string
		login    bool
		command  string // sent and timed until its tagged OK
		min, max time.Duration
	}{
		{"delay:SELECT=200ms", true, "b SELECT INBOX", 200 * time.Millisecond, 200*time.Millisecond + timingSlack},
		{"delay:*=100ms,jitter=50ms", false, "b NOOP", 100 * time.Millisecond, 150*time.Millisecond + timingSlack},
		{"delay:SELECT=20s;user=bob", true, "b SELECT INBOX", 0, 20 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			t.Parallel()
			srv := plainServer(t, tt.spec)
			r := greeted(t, srv)
			if tt.login {
				r.loginRaw(srv)
			}
			start := time.Now()
			r.send(tt.command + "\r\n")
			r.until("b ")
			checkElapsed(t, start, tt.min, tt.max)
		})
	}
}

func TestDelayGreetingAndHandshake(t *testing.T) {
	t.Parallel()
	for _, spec := range []string{"delay:greeting=200ms", "delay:tls=200ms"} {
		t.Run(spec, func(t *testing.T) {
			t.Parallel()
			srv := tlsServer(t, spec)
			start := time.Now()
			nc, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", srv.Addr(), srv.TLSConfig())
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			buf := make([]byte, 4)
			if _, err := nc.Read(buf); err != nil || string(buf) != "* OK" {
				t.Fatalf("greeting %q %v", buf, err)
			}
			checkElapsed(t, start, 200*time.Millisecond, 200*time.Millisecond+timingSlack)
		})
	}
}

func checkElapsed(t *testing.T, start time.Time, min, max time.Duration) {
	t.Helper()
	if d := time.Since(start); d < min || d >= max {
		t.Fatalf("took %v, want [%v, %v)", d, min, max)
	}
}
