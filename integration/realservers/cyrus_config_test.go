package realservers

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCyrusConfig checks what master needs of the generated files: an
// empty option makes it exit, and relative paths resolve against a
// directory nobody controls.
func TestCyrusConfig(t *testing.T) {
	t.Parallel()
	inst := &Instance{dir: t.TempDir(), Port: 21143, TLSPort: 21993}
	c := &Cyrus{Root: "/opt/cyrus"}
	if err := c.writeConfig(inst, "srv", []byte("CERT"), []byte("KEY")); err != nil {
		t.Fatal(err)
	}
	read := func(name string) string {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(inst.dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	lines := strings.Split(strings.TrimSuffix(read("imapd.conf"), "\n"), "\n")
	if len(lines) != 19 {
		t.Errorf("imapd.conf has %d options; want 19", len(lines))
	}
	for _, line := range lines {
		key, value, ok := strings.Cut(line, ": ")
		if !ok || strings.TrimSpace(value) == "" {
			t.Errorf("imapd.conf line %q has no value", line)
		}
		if strings.HasSuffix(key, "socket") || strings.HasSuffix(key, "path") || strings.HasSuffix(key, "directory") || strings.HasPrefix(key, "tls_") {
			if !filepath.IsAbs(value) {
				t.Errorf("imapd.conf %s = %q; want an absolute path", key, value)
			}
		}
	}
	conf := filepath.Join(inst.dir, "imapd.conf")
	master := read("cyrus.conf")
	for _, want := range []string{
		`recover cmd="/opt/cyrus/usr/lib/cyrus/bin/ctl_cyrusdb -r -C ` + conf + `"`,
		`imap cmd="/opt/cyrus/usr/lib/cyrus/bin/imapd -C ` + conf + `" listen="127.0.0.1:21143"`,
		`imaps cmd="/opt/cyrus/usr/lib/cyrus/bin/imapd -s -C ` + conf + `" listen="127.0.0.1:21993"`,
	} {
		if !strings.Contains(master, want) {
			t.Errorf("cyrus.conf lacks %s:\n%s", want, master)
		}
	}
}

func TestLowFreePorts(t *testing.T) {
	t.Parallel()
	ports, err := lowFreePorts(2)
	if err != nil {
		t.Fatal(err)
	}
	if len(ports) != 2 || ports[0] == ports[1] {
		t.Fatalf("lowFreePorts(2) = %v; want two distinct ports", ports)
	}
	for _, p := range ports {
		if p < 20000 || p >= 32768 {
			t.Errorf("port %d outside [20000, 32768)", p)
		}
	}
}

// TestCyrusConfigNoTLS: without a certificate (CyrusOptions.NoTLS) Cyrus
// gets no TLS option, which would make it offer STARTTLS, and no imaps
// service, which would make master exit for want of a certificate.
func TestCyrusConfigNoTLS(t *testing.T) {
	t.Parallel()
	inst := &Instance{dir: t.TempDir(), Port: 21143, TLSPort: 21993}
	c := &Cyrus{Root: "/opt/cyrus"}
	if err := c.writeConfig(inst, "srv", nil, nil); err != nil {
		t.Fatal(err)
	}
	conf, err := os.ReadFile(filepath.Join(inst.dir, "imapd.conf"))
	if err != nil {
		t.Fatal(err)
	}
	master, err := os.ReadFile(filepath.Join(inst.dir, "cyrus.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(conf), "\n"); n != 17 || strings.Contains(string(conf), "tls_") {
		t.Errorf("imapd.conf has %d options, TLS ones among them?\n%s", n, conf)
	}
	if strings.Contains(string(master), "imaps") || !strings.Contains(string(master), `listen="127.0.0.1:21143"`) {
		t.Errorf("cyrus.conf should serve only the plain port:\n%s", master)
	}
	if _, err := os.Stat(filepath.Join(inst.dir, "cert.pem")); err == nil {
		t.Error("cert.pem written without a certificate")
	}
}
