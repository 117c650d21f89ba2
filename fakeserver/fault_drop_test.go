package fakeserver_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"syscall"
	"testing"
)

// fullFetchResponse is what the client reads after fetchSession's FETCH on
// a server without faults, up to and including the tagged OK.
func fullFetchResponse(t *testing.T) []byte {
	t.Helper()
	srv := plainServer(t)
	r := openInbox(t, srv)
	r.send("f FETCH 2 (BODY[])\r\n")
	return []byte(strings.Join(r.until("f OK"), ""))
}

func TestDropInResponse(t *testing.T) {
	t.Parallel()
	full := fullFetchResponse(t)
	if len(full) < 400 || !bytes.Contains(full, []byte("{")) {
		t.Fatalf("reference FETCH response too small or without literal: %q", full)
	}
	tests := []struct {
		spec string
		want []byte // bytes after the SELECT's OK
	}{
		{"drop:FETCH", nil},
		{"drop:FETCH+120", full[:120]},
		{"drop:FETCH+300", full[:300]}, // inside the literal
		{"drop:FETCH+1", full[:1]},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			t.Parallel()
			srv := plainServer(t, tt.spec)
			r := openInbox(t, srv)
			r.send("f FETCH 2 (BODY[])\r\n")
			got, err := r.rest()
			if err != nil {
				t.Fatalf("read: %v (want a clean EOF)", err)
			}
			if !bytes.Equal(got, tt.want) {
				t.Fatalf("client read %d bytes %q, want %d bytes %q", len(got), got, len(tt.want), tt.want)
			}
			if got := firedSpecs(t, srv); len(got) != 1 || got[0] != "command:"+tt.spec {
				t.Fatalf("fired %v", got)
			}
		})
	}
}

func TestDropConnection(t *testing.T) {
	t.Parallel()
	tests := []struct {
		spec      string
		wantBytes string // exact bytes, or a prefix with "..."
		reset     bool
	}{
		{"drop:on-accept", "", false},
		{"drop:on-accept,rst", "", true},
		{"drop:after-greeting", tlsGreeting, false},
		{"drop:bytes=20", tlsGreeting[:20], false},
		{"drop:NOOP,rst", tlsGreeting, true},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			t.Parallel()
			srv := plainServer(t, tt.spec)
			r, err := dialRawErr(t, srv.Addr(), nil)
			if err != nil {
				// A reset can beat the end of the TCP handshake.
				if tt.reset && errors.Is(err, syscall.ECONNRESET) {
					return
				}
				t.Fatal(err)
			}
			var got []byte
			if strings.Contains(tt.spec, "NOOP") {
				got = []byte(r.line())
				r.send("a NOOP\r\n")
				var more []byte
				more, err = io.ReadAll(r.br)
				got = append(got, more...)
			} else {
				got, err = r.rest()
			}
			if tt.reset != errors.Is(err, syscall.ECONNRESET) {
				t.Fatalf("read error %v, want reset=%v", err, tt.reset)
			}
			if !tt.reset && err != nil {
				t.Fatalf("read error %v, want clean EOF", err)
			}
			if string(got) != tt.wantBytes {
				t.Fatalf("client read %q, want %q", got, tt.wantBytes)
			}
		})
	}
}

// TestDropOverTLS: byte counts are of the IMAP stream, above TLS.
func TestDropOverTLS(t *testing.T) {
	t.Parallel()
	srv := tlsServer(t, "drop:bytes=50")
	r := dialRaw(t, srv.Addr(), srv.TLSConfig())
	got, _ := r.rest()
	if want := tlsGreeting[:50]; string(got) != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
