package exporter

import (
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReload: POST /-/reload and SIGHUP take a good file; a bad one is
// refused with its error and the old modules keep serving.
func TestReload(t *testing.T) {
	t.Parallel()
	r := newRig(t, testCA(t), "modules:\n  first: {}\n", Options{})
	// module is 400 (target missing) for a known module, 0 for an unknown
	// one: both refused before any probe runs.
	module := func(name string) int {
		t.Helper()
		code, body := r.get(t, "GET", probePath("", name), nil)
		if strings.HasPrefix(body, "unknown module") {
			return 0
		}
		return code
	}
	rewrite := func(content string) {
		t.Helper()
		if err := os.WriteFile(r.cfg, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	metric := func(line string) bool {
		_, body := r.get(t, "GET", "/metrics", nil)
		return strings.Contains(body, "\n"+line+"\n")
	}
	if module("first") != 400 || module("second") != 0 {
		t.Fatal("before reload: want first and not second")
	}

	rewrite("modules:\n  second: {}\n")
	if code, body := r.get(t, "POST", "/-/reload", nil); code != 200 || body != "configuration reloaded\n" {
		t.Fatalf("reload: %d %q", code, body)
	}
	if module("first") != 0 || module("second") != 400 {
		t.Error("after reload: want second and not first")
	}

	rewrite("modules:\n  third:\n    tsl: implicit\n")
	code, body := r.get(t, "POST", "/-/reload", nil)
	want := "failed to reload config: " + r.cfg + ": line 3: unknown key \"tsl\": valid keys are "
	if code != 500 || !strings.HasPrefix(body, want) || strings.Count(body, "\n") != 1 {
		t.Errorf("bad reload: %d %q, want 500 %q...", code, body, want)
	}
	if module("second") != 400 || !metric("imapprobe_exporter_config_last_reload_successful 0") {
		t.Error("a bad reload must keep the old modules and report failure")
	}
	if !strings.Contains(r.log.String(), `msg="configuration reload failed; keeping the old one"`) {
		t.Errorf("the failed reload is not logged:\n%s", r.log)
	}
	if code, _ := r.get(t, "GET", "/-/reload", nil); code != http.StatusMethodNotAllowed {
		t.Errorf("GET /-/reload: %d", code)
	}

	// SIGHUP, delivered on the channel signal.Notify would fill
	rewrite("modules:\n  fourth: {}\n")
	hup := make(chan os.Signal, 1)
	ctx := t.Context()
	go r.e.ReloadOn(ctx, hup)
	hup <- syscall.SIGHUP
	for deadline := time.Now().Add(10 * time.Second); module("fourth") != 400; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("SIGHUP did not reload")
		}
	}
	if !metric("imapprobe_exporter_config_last_reload_successful 1") {
		t.Error("the good reload is not reported")
	}
}

// TestBadRequests: each answers 400 with one line, before any probe.
func TestBadRequests(t *testing.T) {
	t.Parallel()
	r := newRig(t, testCA(t), "modules:\n  default: {}\n  other: {}\n", Options{})
	cases := []struct{ path, want string }{
		{"/probe?target=h&module=nope", "unknown module \"nope\": use one of default, other\n"},
		{"/probe", "target parameter is missing: use /probe?target=imaps://user@host/INBOX&module=default\n"},
		{"/probe?target=h&token=abc", "unknown parameter \"token\": /probe takes only target and module; credentials come from the module's configuration, never from the URL\n"},
		{"/probe?target=ftp://h", "bad target: unsupported URL scheme \"ftp\": use imaps:// (implicit TLS) or imap:// (STARTTLS)\n"},
	}
	for _, c := range cases {
		code, body := r.get(t, "GET", c.path, nil)
		if code != 400 || body != c.want {
			t.Errorf("%s: %d %q, want 400 %q", c.path, code, body, c.want)
		}
	}
	if code, body := r.get(t, "GET", "/probe?target=h", http.Header{"X-Prometheus-Scrape-Timeout-Seconds": {"soon"}}); code != 400 ||
		body != "bad X-Prometheus-Scrape-Timeout-Seconds \"soon\": want a positive number of seconds\n" {
		t.Errorf("bad header: %d %q", code, body)
	}
	if _, body := r.get(t, "GET", "/metrics", nil); !strings.Contains(body, "\nimapprobe_exporter_module_unknown_total 1\n") {
		t.Error("the unknown module is not counted")
	}
}
