package exporter

import (
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/internal/certs"
	"github.com/imapprobe/imapprobe/internal/redact"
	"github.com/imapprobe/imapprobe/internal/testkit"
)

// Canary secrets: the fakes accept them, and no page, metric or log may
// show them in any form.
const (
	canaryUser     = "alice"
	canaryPassword = "canary-Pw-7f3e9c1d-do-not-print"
	canaryToken    = "canary-Tok-4b2a8e6f0c1d-do-not-print"
)

// rig is an exporter over httptest, its log, and its files.
type rig struct {
	e   *Exporter
	srv *httptest.Server
	log *testkit.Buffer
	dir string
	cfg string // the config file's path
}

// writeFile writes name under dir and returns its path.
func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// newRig starts an exporter on config, in which $DIR stands for a
// directory holding ca.pem (from ca) and pw (the canary password).
func newRig(t testing.TB, ca []byte, config string, o Options) *rig {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, dir, "ca.pem", string(ca))
	writeFile(t, dir, "pw", canaryPassword+"\n")
	r := &rig{dir: dir, log: &testkit.Buffer{}}
	r.cfg = writeFile(t, dir, "imapprobe.yml", strings.ReplaceAll(config, "$DIR", dir))
	o.ConfigFile = r.cfg
	o.Logger = slog.New(slog.NewTextHandler(r.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if o.Env == nil {
		o.Env = func(k string) string {
			if k == "CANARY_TOKEN" {
				return canaryToken
			}
			return ""
		}
	}
	e, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	r.e = e
	r.srv = httptest.NewServer(e.Handler())
	t.Cleanup(r.srv.Close)
	return r
}

// get fetches path (with a 30 s deadline) and returns status and body.
func (r *rig) get(t *testing.T, method, path string, header http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, r.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	c := &http.Client{Timeout: 30 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// samples returns the sample lines of a text exposition (no # lines).
func samples(body string) []string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	sort.Strings(out)
	return out
}

// assertNoSecret fails if text holds any form of the canary secrets.
func assertNoSecret(t *testing.T, where, text string) {
	t.Helper()
	for _, s := range []string{canaryPassword, canaryToken} {
		for _, form := range redact.Encodings(canaryUser, s) {
			if strings.Contains(text, form) {
				t.Errorf("%s shows a secret (form %q)", where, form)
			}
		}
	}
}

// leafExpiry dials the fake's TLS port and returns its leaf's NotAfter.
func leafExpiry(t *testing.T, srv *fakeserver.Server) time.Time {
	t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", srv.TLSAddr(), srv.TLSConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].NotAfter
}

// testCA returns a fresh CA certificate in PEM form.
func testCA(t *testing.T) []byte {
	t.Helper()
	ca, err := certs.NewAuthority("imapprobe exporter test CA")
	if err != nil {
		t.Fatal(err)
	}
	return ca.CertPEM()
}
