package fakeserver_test

import (
	"crypto/tls"
	"net"
	"testing"
	"time"
)

// TestDelay measures each delay target from the client: at least the delay,
// and less than the delay plus 60 ms.
func TestDelay(t *testing.T) {
	t.Parallel()
	tests := []struct {
		spec     string
		login    bool
		command  string // sent and timed until its tagged OK
		min, max time.Duration
	}{
		{"delay:SELECT=200ms", true, "b SELECT INBOX", 200 * time.Millisecond, 260 * time.Millisecond},
		{"delay:*=100ms,jitter=50ms", false, "b NOOP", 100 * time.Millisecond, 210 * time.Millisecond},
		{"delay:SELECT=200ms;user=bob", true, "b SELECT INBOX", 0, 60 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			t.Parallel()
			srv := plainServer(t, tt.spec)
			r := dialRaw(t, srv.Addr(), nil)
			r.line()
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
			checkElapsed(t, start, 200*time.Millisecond, 260*time.Millisecond)
		})
	}
}

func checkElapsed(t *testing.T, start time.Time, min, max time.Duration) {
	t.Helper()
	if d := time.Since(start); d < min || d >= max {
		t.Fatalf("took %v, want [%v, %v)", d, min, max)
	}
}
