package fakeserver

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/imapprobe/imapprobe/faults"
)

// maxControlBody bounds a control request body.
const maxControlBody = 1 << 20

// ControlHandler is a Toxiproxy-style HTTP API over the server, so a test in
// any language can switch faults during a run:
//
//	GET    /faults       the active faults, as a JSON array
//	PUT    /faults       replace them: a JSON array (fault objects or spec strings)
//	POST   /faults       add faults: JSON as for PUT, or text/plain specs, one a line
//	DELETE /faults       clear them
//	GET    /connections  the connection records, as JSON
//	DELETE /connections  forget the records of ended connections
//	GET    /ca.pem       the CA certificate that signs the good certificate
//
// Errors are one line of text with status 400 (bad input) or 405.
func (s *Server) ControlHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /faults", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, s.Faults())
	})
	mux.HandleFunc("PUT /faults", func(w http.ResponseWriter, r *http.Request) {
		set, err := readFaults(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.SetFaults(set)
		writeJSON(w, s.Faults())
	})
	mux.HandleFunc("POST /faults", func(w http.ResponseWriter, r *http.Request) {
		set, err := readFaults(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.SetFaults(append(s.Faults(), set...))
		writeJSON(w, s.Faults())
	})
	mux.HandleFunc("DELETE /faults", func(w http.ResponseWriter, r *http.Request) {
		s.SetFaults(nil)
		writeJSON(w, s.Faults())
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
	return mux
}

// readFaults reads a request body: text/plain specs (one a line, blank
// lines and # comments skipped) or a JSON faults list.
func readFaults(r *http.Request) (faults.Set, error) {
	body := bufio.NewReader(io.LimitReader(r.Body, maxControlBody))
	if !isTextSpecs(r.Header.Get("Content-Type"), body) {
		return faults.Decode(body)
	}
	var specs []string
	sc := bufio.NewScanner(body)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line != "" && !strings.HasPrefix(line, "#") {
			specs = append(specs, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read specs: %w", err)
	}
	return faults.ParseAll(specs)
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
