package liveui

import (
	"bytes"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/imapprobe/imapprobe/internal/testkit"
)

// rig is the page on a loopback httptest server, logging to logs.
type rig struct {
	srv  *httptest.Server
	logs *testkit.Buffer
}

func newRig(t *testing.T, o Options) *rig {
	t.Helper()
	logs := &testkit.Buffer{}
	o.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := httptest.NewServer(New(o).Handler())
	t.Cleanup(srv.Close)
	return &rig{srv: srv, logs: logs}
}

// form builds a multipart body: fields, and the CA file if ca is not nil.
func form(t *testing.T, fields map[string]string, ca []byte) (string, io.Reader) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if ca != nil {
		fw, err := mw.CreateFormFile(FieldCA, "ca.pem")
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(ca)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return mw.FormDataContentType(), &buf
}

// do sends one request with the page's header (unless header overrides
// it) and returns the status and body.
func (r *rig) do(t *testing.T, method, path, contentType string, body io.Reader, header http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, r.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set(Header, "1")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := r.srv.Client().Do(req)
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

// events splits a text/event-stream body into event names and data.
func events(body string) (names, data []string) {
	for _, block := range strings.Split(strings.TrimSpace(body), "\n\n") {
		name, d, _ := strings.Cut(block, "\n")
		names = append(names, strings.TrimPrefix(name, "event: "))
		data = append(data, strings.TrimPrefix(d, "data: "))
	}
	return names, data
}
