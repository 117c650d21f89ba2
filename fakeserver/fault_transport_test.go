package fakeserver_test

import (
	"bufio"
	"crypto/tls"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-sasl"
	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/faults"
)

// TestCaps checks the greeting and CAPABILITY response under each edit,
// on a STARTTLS port before TLS.
func TestCaps(t *testing.T) {
	t.Parallel()
	const base = "IMAP4rev2 IMAP4rev1 SASL-IR LITERAL- ID STARTTLS LOGINDISABLED"
	tests := []struct {
		spec string
		want string
	}{
		{"caps:-STARTTLS", "IMAP4rev2 IMAP4rev1 SASL-IR LITERAL- ID LOGINDISABLED"},
		{"caps:+QUOTA", base + " QUOTA"},
		{"caps:-LOGINDISABLED", "IMAP4rev2 IMAP4rev1 SASL-IR LITERAL- ID STARTTLS"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			t.Parallel()
			srv := fakeserver.New(t, fakeserver.WithMode(fakeserver.ModeStartTLS), withSpecs(t, tt.spec))
			r := dialRaw(t, srv.Addr(), nil)
			if g, want := r.line(), "* OK [CAPABILITY "+tt.want+"] IMAP server ready\r\n"; g != want {
				t.Fatalf("greeting %q, want %q", g, want)
			}
			r.send("c CAPABILITY\r\n")
			if l, want := r.line(), "* CAPABILITY "+tt.want+"\r\n"; l != want {
				t.Fatalf("CAPABILITY %q, want %q", l, want)
			}
		})
	}
}

func TestCapsAuthMechanisms(t *testing.T) {
	t.Parallel()
	srv := tlsServer(t, "caps:-AUTH=PLAIN", "caps:+LOGINDISABLED")
	c := dial(t, srv)
	caps := c.Caps()
	if caps.Has("AUTH=PLAIN") || !caps.Has(imap.CapLoginDisabled) || !caps.Has("AUTH=XOAUTH2") {
		t.Fatalf("caps %v", caps)
	}

	// Advertised, then refused as Dovecot refuses an unknown mechanism.
	srv2 := tlsServer(t, "caps:refuse=AUTH=SCRAM-SHA-256")
	r := dialRaw(t, srv2.Addr(), srv2.TLSConfig())
	if g := r.line(); !strings.Contains(g, " AUTH=SCRAM-SHA-256]") {
		t.Fatalf("greeting %q", g)
	}
	r.send("a AUTHENTICATE SCRAM-SHA-256\r\n")
	if l := r.line(); l != "a "+faults.RefuseReply+"\r\n" {
		t.Fatalf("got %q", l)
	}
	// A refused PLAIN through imapclient.
	srv3 := tlsServer(t, "caps:refuse=AUTH=PLAIN")
	name, pass := srv3.User()
	err := dial(t, srv3).Authenticate(sasl.NewPlainClient("", name, pass))
	var imapErr *imap.Error
	if !errors.As(err, &imapErr) || imapErr.Type != imap.StatusResponseTypeNo || imapErr.Code != imap.ResponseCodeAlert {
		t.Fatalf("got %v, want NO [ALERT]", err)
	}
}

// TestThrottle times a response of known size under a rate limit, and
// checks that chunking changes no byte.
func TestThrottle(t *testing.T) {
	t.Parallel()
	full := fullFetchResponse(t)
	for _, spec := range []string{"throttle:rate=4000", "throttle:chunk=1", "throttle:rate=4000,chunk=7"} {
		t.Run(spec, func(t *testing.T) {
			t.Parallel()
			srv := plainServer(t, spec)
			r := openInbox(t, srv)
			start := time.Now()
			r.send("f FETCH 2 (BODY[])\r\n")
			got := strings.Join(r.until("f OK"), "")
			elapsed := time.Since(start)
			if got != string(full) {
				t.Fatalf("throttled bytes differ:\n%q\n%q", got, full)
			}
			if strings.Contains(spec, "rate=4000") {
				// The budget starts when the connection does: allow for the
				// greeting and login bytes already paid.
				min := time.Duration(len(full)-400) * time.Second / 4000
				if elapsed < min || elapsed > min+timingSlack {
					t.Fatalf("%d bytes took %v, want about %v", len(full), elapsed, min)
				}
			}
		})
	}
}

func TestStartTLSFaults(t *testing.T) {
	t.Parallel()
	t.Run("normal", func(t *testing.T) {
		t.Parallel()
		srv := fakeserver.New(t, fakeserver.WithMode(fakeserver.ModeStartTLS))
		r := startTLSRaw(t, srv, "")
		tc := tls.Client(r.nc, srv.TLSConfig())
		if err := tc.Handshake(); err != nil {
			t.Fatal(err)
		}
		r2 := &rawConn{t: t, nc: tc, br: bufio.NewReader(tc)}
		r2.send("c CAPABILITY\r\n")
		if l := r2.line(); l != "* CAPABILITY IMAP4rev2 IMAP4rev1 SASL-IR LITERAL- ID AUTH=PLAIN AUTH=XOAUTH2 AUTH=OAUTHBEARER\r\n" {
			t.Fatalf("after TLS: %q", l)
		}
		r2.loginRaw(srv)
	})
	t.Run("stall", func(t *testing.T) {
		t.Parallel()
		srv := fakeserver.New(t, fakeserver.WithMode(fakeserver.ModeStartTLS), withSpecs(t, "starttls:stall"))
		r := startTLSRaw(t, srv, "")
		tc := tls.Client(r.nc, srv.TLSConfig())
		_ = tc.SetDeadline(time.Now().Add(300 * time.Millisecond))
		if err := tc.Handshake(); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("handshake: %v, want a timeout", err)
		}
	})
	t.Run("plaintext/tls client", func(t *testing.T) {
		t.Parallel()
		srv := fakeserver.New(t, fakeserver.WithMode(fakeserver.ModeStartTLS), withSpecs(t, "starttls:plaintext"))
		_, err := dialErr(srv)
		if err == nil || !strings.Contains(err.Error(), "first record does not look like a TLS handshake") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("plaintext/raw client", func(t *testing.T) {
		t.Parallel()
		srv := fakeserver.New(t, fakeserver.WithMode(fakeserver.ModeStartTLS), withSpecs(t, "starttls:plaintext"))
		r := startTLSRaw(t, srv, "b NOOP\r\n")
		if l := r.line(); l != "b OK NOOP completed\r\n" {
			t.Fatalf("still plaintext: %q", l)
		}
	})
	t.Run("delay:tls after STARTTLS", func(t *testing.T) {
		t.Parallel()
		srv := fakeserver.New(t, fakeserver.WithMode(fakeserver.ModeStartTLS), withSpecs(t, "delay:tls=200ms"))
		start := time.Now()
		login(t, srv)
		checkElapsed(t, start, 200*time.Millisecond, 200*time.Millisecond+timingSlack)
	})
}
