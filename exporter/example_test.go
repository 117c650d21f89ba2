package exporter_test

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/imapprobe/imapprobe/exporter"
	"github.com/imapprobe/imapprobe/fakeserver"
)

// An exporter with one module probes a fake server the way Prometheus
// would ask it to: GET /probe?target=...&module=....
func Example() {
	srv, err := fakeserver.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	_, password := srv.User()

	dir, err := os.MkdirTemp("", "exporter-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ca, pw, cfg := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "pw"), filepath.Join(dir, "imapprobe.yml")
	os.WriteFile(ca, srv.CACertPEM(), 0o600)
	os.WriteFile(pw, []byte(password+"\n"), 0o600)
	os.WriteFile(cfg, []byte("modules:\n  default:\n    tls: implicit\n    ca_file: "+ca+"\n    password_file: "+pw+"\n"), 0o600)

	e, err := exporter.New(exporter.Options{ConfigFile: cfg})
	if err != nil {
		log.Fatal(err)
	}
	web := httptest.NewServer(e.Handler())
	defer web.Close()
	resp, err := http.Get(web.URL + "/probe?" + url.Values{"target": {srv.URL()}, "module": {"default"}}.Encode())
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "probe_success ") || strings.HasPrefix(line, "imapprobe_step_success{step=\"auth\"}") {
			fmt.Println(line)
		}
	}
	// Output:
	// imapprobe_step_success{step="auth"} 1
	// probe_success 1
}
