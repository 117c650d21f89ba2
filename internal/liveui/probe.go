package liveui

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/imapprobe/imapprobe/internal/htmlreport"
	"github.com/imapprobe/imapprobe/internal/redact"
	"github.com/imapprobe/imapprobe/prober"
)

// Form fields of POST /ui/probe (multipart/form-data).
const (
	FieldURL     = "url"
	FieldTLS     = "tls"     // "", implicit, starttls or none
	FieldAuth    = "auth"    // "", login, plain, xoauth2 or oauthbearer
	FieldMailbox = "mailbox" // "" keeps the URL's
	FieldCA      = "ca"      // a PEM file
	FieldSecret  = "secret"  // the password, or the token for xoauth2 and oauthbearer
)

// request is one parsed POST.
type request struct {
	t prober.Target
	o prober.Options
}

// handleProbe runs one probe and streams its steps as Server-Sent Events.
// Errors before the probe starts are a plain-text 4xx, in one line.
func (u *UI) handleProbe(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "/ui/probe takes POST: a secret never goes in a URL", http.StatusMethodNotAllowed)
		return
	}
	if r.URL.RawQuery != "" {
		http.Error(w, "/ui/probe takes no query string: the form's fields go in the POST body", http.StatusBadRequest)
		return
	}
	req, status, err := u.parse(w, r)
	if err != nil {
		http.Error(w, scrubSecret(r, err.Error()), status)
		return
	}
	select {
	case u.slots <- struct{}{}:
		defer func() { <-u.slots }()
	default:
		http.Error(w, fmt.Sprintf("busy: %d probes are running; retry in a moment", cap(u.slots)), http.StatusServiceUnavailable)
		return
	}
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Now().Add(u.opts.Timeout + 30*time.Second))
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	_ = rc.Flush()

	steps := make(chan prober.Step, len(prober.Steps)+1) // OnStep is called once a step
	req.o.OnStep = func(s prober.Step) { steps <- s }
	done := make(chan *prober.Report, 1)
	ctx, cancel := context.WithTimeout(r.Context(), u.opts.Timeout)
	defer cancel()
	start := time.Now()
	go func() { done <- u.opts.Probe(ctx, req.t, req.o) }()
	var rep *prober.Report
	for rep == nil {
		select {
		case s := <-steps:
			u.event(w, rc, "step", stepEvent(s))
		case rep = <-done:
		}
	}
	for len(steps) > 0 {
		u.event(w, rc, "step", stepEvent(<-steps))
	}
	res := rep.Result
	if res == nil {
		res = rep.Verdict(false)
	}
	u.log.Info("ui probe", "remote", r.RemoteAddr, "host", req.t.Host, "port", req.t.Port, "tls", string(req.t.TLS),
		"user", req.t.User, "auth", req.o.Auth, "status", string(res.Status), "step", res.Step, "code", string(res.Code),
		"duration", time.Since(start).Round(time.Millisecond))
	var frag bytes.Buffer
	if err := htmlreport.WriteFragment(&frag, rep); err != nil {
		u.event(w, rc, "failure", map[string]string{"error": err.Error()})
		return
	}
	u.event(w, rc, "result", map[string]any{"status": res.Status, "step": res.Step, "code": res.Code,
		"exit_code": res.ExitCode, "html": frag.String(), "report": rep})
}

// scrubSecret masks the form's secret in an error: a password pasted
// into the URL field must not come back quoted in "is not a URL".
func scrubSecret(r *http.Request, msg string) string {
	if r.MultipartForm == nil {
		return msg
	}
	var secrets []string
	for _, s := range r.MultipartForm.Value[FieldSecret] {
		secrets = append(secrets, redact.Encodings("", s)...)
	}
	if len(secrets) == 0 {
		return msg
	}
	return redact.NewSession(secrets...).Scrub(msg)
}

// stepEvent is what the page shows of a step while the probe runs.
func stepEvent(s prober.Step) map[string]any {
	ev := map[string]any{"name": s.Name, "status": s.Status, "duration_ms": float64(s.Duration.Microseconds()) / 1000, "note": s.Note}
	if s.Diagnosis != nil {
		ev["code"] = s.Diagnosis.Code
		ev["summary"] = s.Diagnosis.Summary
	}
	return ev
}

// event writes one Server-Sent Event; JSON has no raw newline, so the
// data is one line.
func (u *UI) event(w io.Writer, rc *http.ResponseController, name string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(map[string]string{"error": err.Error()})
		name = "failure"
	}
	fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, b)
	_ = rc.Flush()
}

// parse reads the form within MaxBody, all in memory (a secret must never
// reach a temporary file), and checks it.
func (u *UI) parse(w http.ResponseWriter, r *http.Request) (request, int, error) {
	ct := r.Header.Get("Content-Type")
	if !strings.HasPrefix(strings.ToLower(ct), "multipart/form-data") {
		return request{}, http.StatusUnsupportedMediaType, errors.New("want Content-Type: multipart/form-data (the page's form)")
	}
	if r.ContentLength > MaxBody {
		return request{}, http.StatusRequestEntityTooLarge, fmt.Errorf("request of %d bytes is over the %d-byte limit (a CA file may have %d bytes)", r.ContentLength, MaxBody, MaxCAFile)
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
	// maxMemory above MaxBody: no part of the form is written to disk.
	if err := r.ParseMultipartForm(2 * MaxBody); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return request{}, http.StatusRequestEntityTooLarge, fmt.Errorf("request over the %d-byte limit (a CA file may have %d bytes)", MaxBody, MaxCAFile)
		}
		return request{}, http.StatusBadRequest, errors.New("unreadable form: want multipart/form-data")
	}
	defer r.MultipartForm.RemoveAll()
	form := r.MultipartForm.Value
	one := func(name string) string {
		if v := form[name]; len(v) > 0 {
			return strings.TrimSpace(v[0])
		}
		return ""
	}
	for name := range form {
		switch name {
		case FieldURL, FieldTLS, FieldAuth, FieldMailbox, FieldSecret, FieldCA: // ca: a file input left empty
		default:
			// a typo must not send a secret somewhere unread, nor be quoted
			return request{}, http.StatusBadRequest, errors.New("unknown form field: want url, tls, auth, mailbox, ca and secret")
		}
	}
	t, err := prober.ParseURL(one(FieldURL))
	switch {
	case err != nil && strings.HasPrefix(err.Error(), "password in URL refused"):
		// prober's hint names the command line's ways; the page has a field
		return request{}, http.StatusBadRequest, errors.New("URL: password in URL refused: remove it from the URL and type it in the password field")
	case err != nil:
		return request{}, http.StatusBadRequest, errors.New("URL: " + err.Error())
	}
	if mode := one(FieldTLS); mode != "" {
		m, err := prober.ParseTLSMode(mode)
		if err != nil {
			return request{}, http.StatusBadRequest, errors.New("TLS mode: " + err.Error())
		}
		if u, err := url.Parse(one(FieldURL)); err == nil && u.Port() == "" {
			t.Port = m.DefaultPort()
		}
		t.TLS = m
	}
	if mb := one(FieldMailbox); mb != "" {
		t.Mailbox = mb
	}
	var secret string // as typed: a password may begin or end with a space
	if v := form[FieldSecret]; len(v) > 0 {
		secret = v[0]
	}
	if secret == "" {
		return request{}, http.StatusBadRequest, errors.New("the password or token is empty")
	}
	o := prober.Options{Auth: strings.ToLower(one(FieldAuth)), StepTimeout: min(prober.DefaultStepTimeout, u.opts.Timeout)}
	switch o.Auth {
	case "", "login", "plain":
		o.Password = secret
	case "xoauth2", "oauthbearer":
		o.Token = secret
	default:
		return request{}, http.StatusBadRequest, errors.New("auth mechanism: want login, plain, xoauth2, oauthbearer or empty (the best offered)")
	}
	if t.User == "" {
		return request{}, http.StatusBadRequest, errors.New("URL: no user: write imaps://USER@host/INBOX")
	}
	if err := t.Validate(); err != nil {
		return request{}, http.StatusBadRequest, err
	}
	pool, status, err := caPool(r)
	if err != nil {
		return request{}, status, err
	}
	o.RootCAs = pool
	return request{t: t, o: o}, 0, nil
}

// caPool reads the uploaded CA file, if any; nil means the system roots.
func caPool(r *http.Request) (*x509.CertPool, int, error) {
	fhs := r.MultipartForm.File[FieldCA]
	if len(fhs) == 0 || fhs[0].Size == 0 {
		return nil, 0, nil
	}
	if len(fhs) > 1 {
		return nil, http.StatusBadRequest, errors.New("CA file: send one file (it may hold several PEM certificates)")
	}
	if fhs[0].Size > MaxCAFile {
		return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("CA file of %d bytes is over the %d-byte limit", fhs[0].Size, MaxCAFile)
	}
	f, err := fhs[0].Open()
	if err != nil {
		return nil, http.StatusBadRequest, errors.New("CA file: cannot read it")
	}
	defer f.Close()
	pem, err := io.ReadAll(io.LimitReader(f, MaxCAFile+1))
	if err != nil || len(pem) > MaxCAFile {
		return nil, http.StatusBadRequest, errors.New("CA file: cannot read it, or over the limit")
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, http.StatusBadRequest, errors.New("CA file holds no PEM certificate (want -----BEGIN CERTIFICATE-----)")
	}
	return pool, 0, nil
}
