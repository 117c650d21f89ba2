package main

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/internal/certs"
)

const (
	benchUser = "alice"
	benchPass = "bench-password-not-a-secret"
)

// runChild serves until its stdin closes, answering each "stats" line
// with the runtime's figures.
func runChild(server string, useTLS bool) {
	var (
		h     hello
		close func()
		err   error
	)
	if server == "fake" {
		h, close, err = startFake(useTLS)
	} else {
		h, close, err = startBare(useTLS)
	}
	if err != nil {
		fatalf("child: %v", err)
	}
	defer close()
	out := json.NewEncoder(os.Stdout)
	if err := out.Encode(h); err != nil {
		fatalf("child: %v", err)
	}
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		if path, ok := strings.CutPrefix(sc.Text(), "heap "); ok {
			_ = out.Encode(writeHeap(path))
			continue
		}
		if sc.Text() != "stats" {
			continue
		}
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		_ = out.Encode(stats{Goroutines: runtime.NumGoroutine(), HeapAlloc: m.HeapAlloc, StackInuse: m.StackInuse, Sys: m.Sys})
	}
}

// writeHeap writes a heap profile (after a GC, so that it shows what is
// live) to path, and answers with the error text, "" for none.
func writeHeap(path string) string {
	runtime.GC()
	f, err := os.Create(path)
	if err == nil {
		err = pprof.Lookup("heap").WriteTo(f, 0)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

func startFake(useTLS bool) (hello, func(), error) {
	mode := fakeserver.ModePlaintext
	if useTLS {
		mode = fakeserver.ModeImplicitTLS
	}
	srv, err := fakeserver.Start(fakeserver.WithMode(mode), fakeserver.WithUser(benchUser, benchPass))
	if err != nil {
		return hello{}, nil, err
	}
	h := hello{Addr: srv.Addr(), User: benchUser, Pass: benchPass}
	if useTLS {
		h.CAPEM = srv.CACertPEM()
	}
	return h, func() { srv.Close() }, nil
}

// startBare serves go-imap's imapserver over imapmemserver with nothing
// in front: one user with an INBOX.
func startBare(useTLS bool) (hello, func(), error) {
	mem := imapmemserver.New()
	u := imapmemserver.NewUser(benchUser, benchPass)
	if err := u.Create("INBOX", nil); err != nil {
		return hello{}, nil, err
	}
	mem.AddUser(u)
	opts := &imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		Logger:       log.New(io.Discard, "", 0),
		InsecureAuth: !useTLS,
	}
	srv := imapserver.New(opts)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return hello{}, nil, err
	}
	h := hello{Addr: ln.Addr().String(), User: benchUser, Pass: benchPass}
	if useTLS {
		ca, err := certs.NewAuthority("idleconns CA")
		if err != nil {
			return hello{}, nil, err
		}
		leaf, err := ca.Issue(certs.Leaf{})
		if err != nil {
			return hello{}, nil, err
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{leaf}, MinVersion: tls.VersionTLS12})
		h.CAPEM = ca.CertPEM()
	}
	go func() {
		if err := srv.Serve(ln); err != nil {
			fmt.Fprintln(os.Stderr, "bare server:", err)
		}
	}()
	return h, func() { srv.Close() }, nil
}
