package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/imapprobe/imapprobe/internal/liveui"
	"github.com/imapprobe/imapprobe/internal/webguard"
	"github.com/imapprobe/imapprobe/prober"
)

// defaultUIListen is where --ui puts the live probe page: loopback only.
const defaultUIListen = "127.0.0.1:9954"

// maxUITokenFile bounds --ui-token-file.
const maxUITokenFile = 4 << 10

// uiFlags are serve's flags for the live probe page (issue 13).
type uiFlags struct {
	on        bool   // --ui
	listen    string // --ui-listen
	tokenFile string // --ui-token-file
}

// resolve says where the page listens ("" for no page) and with which
// token. A page anyone on the network can reach must ask for a token:
// a non-loopback --ui-listen without --ui-token-file is a usage error.
func (f uiFlags) resolve() (addr, token string, err error) {
	addr = f.listen
	if addr == "" && f.on {
		addr = defaultUIListen
	}
	switch {
	case addr == "" && f.tokenFile != "":
		return "", "", errors.New("--ui-token-file needs --ui or --ui-listen ADDR")
	case addr == "":
		return "", "", nil
	}
	if err := checkListenAddr(addr); err != nil {
		return "", "", err
	}
	switch {
	case f.tokenFile != "":
		token, err = readUIToken(f.tokenFile)
		if err != nil {
			return "", "", err
		}
	case !webguard.IsLoopback(addr):
		return "", "", fmt.Errorf("--ui-listen %s is not a loopback address: anyone who can reach it could probe through this server; add --ui-token-file FILE, or listen on 127.0.0.1", addr)
	}
	return addr, token, nil
}

// checkListenAddr refuses an --ui-listen that is not HOST:PORT before
// the loopback check, which would call it "not a loopback address".
func checkListenAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--ui-listen %s is not HOST:PORT: write e.g. 127.0.0.1:9954 or [::1]:9954", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("--ui-listen %s: bad port %q: use 1-65535 (0 picks a free one)", addr, port)
	}
	return nil
}

// readUIToken reads the token's first line; no error quotes the file.
func readUIToken(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("cannot read --ui-token-file: %v", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxUITokenFile+1))
	switch {
	case err != nil:
		return "", fmt.Errorf("cannot read --ui-token-file %s: %v", path, err)
	case len(b) > maxUITokenFile:
		return "", fmt.Errorf("--ui-token-file %s is over %d bytes: want one line, the token", path, maxUITokenFile)
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	tok := string(bytes.TrimSpace(line))
	if tok == "" {
		return "", fmt.Errorf("--ui-token-file %s holds no token on its first line", path)
	}
	return tok, nil
}

// startUI listens on addr and serves the page until stop.
func startUI(addr, token string, log *slog.Logger, stderr io.Writer) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--ui-listen %s: %v", addr, err)
	}
	srv := &http.Server{
		Handler:           liveui.New(liveui.Options{Token: token, Logger: log}).Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      prober.DefaultTimeout + 30*time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	log.Info("live probe page", "url", "http://"+ln.Addr().String()+"/ui", "token", token != "")
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(stderr, "imapprobe serve: the live page: "+err.Error())
		}
	}()
	return func() { srv.Close() }, nil
}
