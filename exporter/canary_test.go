package exporter

import (
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/faults"
)

// TestCanarySecrets probes with a canary password and token by every
// credential source, on success and failure paths, and sends them where a
// careless user would (the query string, the target URL); no page, metric
// or log line may show them in any form.
func TestCanarySecrets(t *testing.T) {
	t.Parallel()
	healthy := fakeserver.New(t, fakeserver.WithUser(canaryUser, canaryPassword), fakeserver.WithToken(canaryUser, canaryToken))
	faulted := fakeserver.New(t, fakeserver.WithUser(canaryUser, canaryPassword),
		fakeserver.WithFaults(faults.MustParse("reply:LOGIN=NO [AUTHENTICATIONFAILED] nope")))
	config := `
modules:
  default:
    ca_file: $DIR/ca.pem
    password_file: $DIR/pw
  login:
    auth: login
    ca_file: $DIR/ca.pem
    password_file: $DIR/pw
  tokencmd:
    auth: xoauth2
    ca_file: $DIR/ca.pem
    token_cmd: "echo ` + canaryToken + `; echo ` + canaryToken + ` >&2"
  tokenfail:
    auth: xoauth2
    ca_file: $DIR/ca.pem
    token_cmd: "echo ` + canaryToken + ` >&2; exit 3"
  tokenfile:
    auth: oauthbearer
    ca_file: $DIR/ca.pem
    token_file: $DIR/token
  peruser:
    ca_file: $DIR/ca.pem
    users:
      alice:
        token_env: CANARY_TOKEN
  gone:
    ca_file: $DIR/ca.pem
    password_file: $DIR/gone
`
	dir := t.TempDir()
	writeFile(t, dir, "gone", "x\n") // exists at load, removed before probing
	writeFile(t, dir, "token", canaryToken+"\n")
	config = strings.NewReplacer("$DIR/gone", dir+"/gone", "$DIR/token", dir+"/token").Replace(config)
	r := newRig(t, append(healthy.CACertPEM(), faulted.CACertPEM()...), config, Options{})
	if err := os.Remove(dir + "/gone"); err != nil {
		t.Fatal(err)
	}
	var pages []string
	get := func(method, path string, wantCode int) {
		t.Helper()
		code, body := r.get(t, method, path, http.Header{"X-Prometheus-Scrape-Timeout-Seconds": {"10"}})
		if code != wantCode {
			t.Errorf("%s %s: status %d, want %d: %s", method, path, code, wantCode, body)
		}
		pages = append(pages, method+" "+path+"\n"+body) // the first line is only a label
	}
	for _, c := range []struct {
		target, module string
		success        bool
	}{
		{healthy.URL(), "default", true},
		{healthy.URL(), "login", true},
		{healthy.URL(), "tokencmd", true},
		{healthy.URL(), "tokenfile", true},
		{healthy.URL(), "peruser", true},
		{healthy.URL(), "tokenfail", false},
		{healthy.URL(), "gone", false},
		{faulted.URL(), "login", false},
	} {
		path := probePath(c.target, c.module)
		get("GET", path, 200)
		want := "\nprobe_success 0\n"
		if c.success {
			want = "\nprobe_success 1\n"
		}
		if !strings.Contains(pages[len(pages)-1], want) {
			t.Errorf("%s: no %q in\n%s", path, strings.TrimSpace(want), pages[len(pages)-1])
		}
	}
	get("GET", probePath(healthy.URL(), "default")+"&password="+url.QueryEscape(canaryPassword), 400)
	get("GET", probePath(strings.Replace(healthy.URL(), "alice@", "alice:"+url.PathEscape(canaryPassword)+"@", 1), "default"), 400)
	get("GET", probePath("imaps:/alice:"+canaryPassword+"@127.0.0.1/INBOX", "default"), 400)
	get("GET", "/", 200)
	get("GET", "/metrics", 200)
	get("POST", "/-/reload", 500) // the password file is gone
	for _, p := range pages {
		label, body, _ := strings.Cut(p, "\n")
		assertNoSecret(t, label, body)
	}
	log := r.log.String()
	assertNoSecret(t, "the log", log)
	if t.Failed() {
		t.Log(log)
	}
	for _, want := range []string{"token_cmd: exit status 3", "password_file " + dir + "/gone: open " + dir + "/gone: no such file or directory"} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q:\n%s", want, log)
		}
	}
	if !strings.Contains(pages[len(pages)-2], `imapprobe_exporter_credential_errors_total{module="gone"} 1`) {
		t.Errorf("/metrics does not count the unreadable password file:\n%s", pages[len(pages)-2])
	}
}
