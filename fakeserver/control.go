package fakeserver

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/imapprobe/imapprobe/faults"
)

const (
	// maxControlBody bounds a control request body.
	maxControlBody = 1 << 20
	// DefaultMaxFaults caps the faults the control API lets be active.
	DefaultMaxFaults = 256
	// ControlHeader marks a request as coming from a control client, not
	// a web page: a page cannot send it cross-origin without a CORS
	// preflight, which the API never grants. Mutations need it unless
	// their body is Content-Type: application/json.
	ControlHeader = "X-Imapprobe-Control"
)

type controlConfig struct {
	token     string
	maxFaults int
}

// ControlOption configures ControlHandler.
type ControlOption func(*controlConfig)

// WithControlToken makes every control request need the header
// "Authorization: Bearer TOKEN".
func WithControlToken(token string) ControlOption {
	return func(c *controlConfig) { c.token = token }
}

// WithMaxFaults caps how many faults PUT and POST may make active
// (default DefaultMaxFaults).
func WithMaxFaults(n int) ControlOption { return func(c *controlConfig) { c.maxFaults = n } }

// ControlHandler is a Toxiproxy-style HTTP API over the server, so a test in
// any language can switch faults during a run:
//
//	GET    /faults       the active faults with their fired counts, as JSON
//	PUT    /faults       replace them: a JSON array (fault objects or spec strings)
//	POST   /faults       add faults: JSON as for PUT, or text specs, one a line
//	DELETE /faults       clear them
//	GET    /connections  the connection records, as JSON
//	DELETE /connections  forget the records of ended connections
//	GET    /ca.pem       the CA certificate that signs the good certificate
//
// GET, and PUT, POST and DELETE on /faults, answer a JSON array of
// {"spec": TEXT, "fault": FAULT_JSON, "fired": N}; PUT and POST also take
// that form back, so GET's output can be PUT again.
//
// It defends against web pages as loopback daemons do (see controlGuard):
// the Host must be the listen address or localhost, a browser's Origin must
// be the API's own, and a mutation needs Content-Type: application/json or
// the header "X-Imapprobe-Control: 1". Errors are one line of text: 400 bad
// input, 401 missing token, 403 refused request, 405, 413 body too large or
// too many faults.
func (s *Server) ControlHandler(opts ...ControlOption) http.Handler {
	cfg := controlConfig{maxFaults: DefaultMaxFaults}
	for _, o := range opts {
		o(&cfg)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /faults", s.writeFaults)
	mux.HandleFunc("PUT /faults", func(w http.ResponseWriter, r *http.Request) {
		s.changeFaults(w, r, cfg.maxFaults, func(_, set faults.Set) faults.Set { return set })
	})
	mux.HandleFunc("POST /faults", func(w http.ResponseWriter, r *http.Request) {
		s.changeFaults(w, r, cfg.maxFaults, func(cur, set faults.Set) faults.Set { return append(cur, set...) })
	})
	mux.HandleFunc("DELETE /faults", func(w http.ResponseWriter, r *http.Request) {
		s.SetFaults(nil)
		s.writeFaults(w, r)
	})
	mux.HandleFunc("GET /connections", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, s.Connections())
	})
	mux.HandleFunc("DELETE /connections", func(w http.ResponseWriter, r *http.Request) {
		s.ResetConnections()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /ca.pem", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-pem-file")
		_, _ = w.Write(s.CACertPEM())
	})
	return &controlGuard{next: mux, token: cfg.token}
}

func (s *Server) writeFaults(w http.ResponseWriter, _ *http.Request) {
	st, err := s.FaultStatuses()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, st)
}

// errTooMany is a change that would pass the fault cap.
type errTooMany struct{ n, max int }

func (e errTooMany) Error() string {
	return fmt.Sprintf("too many faults: %d would be active, the limit is %d; DELETE /faults or PUT a shorter list", e.n, e.max)
}

// changeFaults reads faults from the body and applies merge(current, read)
// under the server's fault lock, refusing a result over max.
func (s *Server) changeFaults(w http.ResponseWriter, r *http.Request, max int, merge func(cur, read faults.Set) faults.Set) {
	set, err := readFaults(w, r)
	if err != nil {
		status := http.StatusBadRequest
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			status = http.StatusRequestEntityTooLarge
			err = fmt.Errorf("body over %d bytes: send fewer faults", maxControlBody)
		}
		http.Error(w, err.Error(), status)
		return
	}
	err = s.UpdateFaults(func(cur faults.Set) (faults.Set, error) {
		next := merge(cur, set)
		if len(next) > max {
			return nil, errTooMany{len(next), max}
		}
		return next, nil
	})
	if err != nil {
		http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
		return
	}
	s.writeFaults(w, r)
}

// readFaults reads a request body: text specs (one a line, blank lines and
// # comments skipped) or a JSON faults list.
func readFaults(w http.ResponseWriter, r *http.Request) (faults.Set, error) {
	body := bufio.NewReader(http.MaxBytesReader(w, r.Body, maxControlBody))
	if !isTextSpecs(r.Header.Get("Content-Type"), body) {
		data, err := io.ReadAll(body)
		if err != nil {
			return nil, err
		}
		return faults.Decode(bytes.NewReader(unwrapStatuses(data)))
	}
	var specs []string
	sc := bufio.NewScanner(body)
	sc.Buffer(nil, maxControlBody)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line != "" && !strings.HasPrefix(line, "#") {
			specs = append(specs, line)
		}
	}
	if err := sc.Err(); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, err
		}
		return nil, fmt.Errorf("read specs: %w", err)
	}
	return faults.ParseAll(specs)
}

// unwrapStatuses turns a JSON array in GET /faults' form, entries
// {"spec","fault","fired"}, into a faults list; other JSON passes as is.
func unwrapStatuses(data []byte) []byte {
	var entries []json.RawMessage
	if json.Unmarshal(data, &entries) != nil {
		return data
	}
	changed := false
	for i, e := range entries {
		var obj map[string]json.RawMessage
		if json.Unmarshal(e, &obj) != nil {
			continue
		}
		if f, ok := obj["fault"]; ok && obj["kind"] == nil {
			entries[i], changed = f, true
		}
	}
	if !changed {
		return data
	}
	out, err := json.Marshal(entries)
	if err != nil {
		return data
	}
	return out
}

// isTextSpecs says whether a body holds text specs, one a line, rather
// than JSON: text/plain says so, application/json says not, and anything
// else (curl --data sends a form type) is JSON only if it starts with [ or {.
func isTextSpecs(contentType string, body *bufio.Reader) bool {
	switch ct, _, _ := mime.ParseMediaType(contentType); ct {
	case "text/plain":
		return true
	case "application/json":
		return false
	}
	for {
		b, err := body.Peek(1)
		if err != nil {
			return true
		}
		switch b[0] {
		case ' ', '\t', '\r', '\n':
			_, _ = body.ReadByte()
		case '[', '{':
			return false
		default:
			return true
		}
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(append(b, '\n'))
}
