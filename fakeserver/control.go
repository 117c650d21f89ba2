package fakeserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
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
//	GET    /faults         the active faults with their names and fired counts, as JSON
//	PUT    /faults         replace them: a JSON array (fault objects or spec strings)
//	POST   /faults         add faults: JSON as for PUT, or text specs, one a line
//	DELETE /faults         clear them
//	GET    /faults/{name}  one fault, as JSON
//	PUT    /faults/{name}  replace that one, keeping its name and place
//	DELETE /faults/{name}  remove that one
//	GET    /connections    the connection records, as JSON
//	DELETE /connections    forget the records of ended connections
//	GET    /ca.pem         the CA certificate that signs the good certificate
//	GET    / or /ui        the dashboard: a web page over this API
//
// GET, and PUT, POST and DELETE on /faults, answer a JSON array of
// {"name": NAME, "spec": TEXT, "fault": FAULT_JSON, "fired": N}; PUT and
// POST also take that form back, so GET's output can be PUT again. A fault
// object or status in a body may carry "name"; a fault without one is
// named KIND-N (reply-1). /faults/{name} answers one such object (DELETE:
// 204), or 404 for a name no active fault has.
//
// It defends against web pages as loopback daemons do (see controlGuard):
// the Host must be the listen address or localhost, a browser's Origin must
// be the API's own, and a mutation needs Content-Type: application/json or
// the header "X-Imapprobe-Control: 1". Errors are one line of text: 400 bad
// input, 401 missing token, 403 refused request, 404 no such fault, 405,
// 409 fault name taken, 413 body too large or too many faults. The
// dashboard page passes the same guard: its changes send ControlHeader,
// and it needs no token to load (it holds no data), only to call the API.
func (s *Server) ControlHandler(opts ...ControlOption) http.Handler {
	cfg := controlConfig{maxFaults: DefaultMaxFaults}
	for _, o := range opts {
		o(&cfg)
	}
	capped := func(merge func(cur, read []namedFault) []namedFault) http.HandlerFunc {
		return answer(func(w http.ResponseWriter, r *http.Request) error {
			return s.changeFromBody(w, r, func(cur, read []namedFault) ([]namedFault, error) {
				next := merge(cur, read)
				if len(next) > cfg.maxFaults {
					return nil, apiError{http.StatusRequestEntityTooLarge, fmt.Sprintf("too many faults: %d would be active, the limit is %d; DELETE /faults or PUT a shorter list", len(next), cfg.maxFaults)}
				}
				return next, nil
			})
		})
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /faults", answer(s.writeFaults))
	mux.HandleFunc("PUT /faults", capped(func(_, read []namedFault) []namedFault { return read }))
	mux.HandleFunc("POST /faults", capped(func(cur, read []namedFault) []namedFault { return append(cur, read...) }))
	mux.HandleFunc("DELETE /faults", answer(func(w http.ResponseWriter, r *http.Request) error {
		s.SetFaults(nil)
		return s.writeFaults(w, r)
	}))
	mux.HandleFunc("GET /faults/{name}", answer(s.writeFault))
	mux.HandleFunc("PUT /faults/{name}", answer(s.replaceFault))
	mux.HandleFunc("DELETE /faults/{name}", answer(s.deleteFault))
	mux.HandleFunc("GET /connections", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, s.Connections())
	})
	mux.HandleFunc("DELETE /connections", func(w http.ResponseWriter, r *http.Request) {
		s.ResetConnections()
		w.WriteHeader(http.StatusNoContent)
	})
	for path := range dashboardPaths {
		if path == "/" {
			path = "/{$}" // the root only, not every path
		}
		mux.HandleFunc("GET "+path, serveDashboard)
	}
	mux.HandleFunc("GET /ca.pem", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-pem-file")
		_, _ = w.Write(s.CACertPEM())
	})
	return &controlGuard{next: mux, token: cfg.token}
}

// apiError is a control request refused with an HTTP status.
type apiError struct {
	status int
	text   string
}

func (e apiError) Error() string { return e.text }

// errNoFault is the answer for a name no active fault has.
func errNoFault(name string) apiError {
	return apiError{http.StatusNotFound, fmt.Sprintf("no fault named %q: GET /faults lists the names", abbrev(name))}
}

// fail answers err as one line: its own status for an apiError, else 400.
func fail(w http.ResponseWriter, err error) {
	status := http.StatusBadRequest
	if e, ok := errors.AsType[apiError](err); ok {
		status = e.status
	}
	http.Error(w, err.Error(), status)
}

// answer adapts a handler that returns its error: the error is the answer.
func answer(h func(http.ResponseWriter, *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			fail(w, err)
		}
	}
}

func (s *Server) writeFaults(w http.ResponseWriter, _ *http.Request) error {
	st, err := s.FaultStatuses()
	if err != nil {
		return apiError{http.StatusInternalServerError, err.Error()}
	}
	writeJSON(w, st)
	return nil
}

// changeFromBody reads faults from the body and applies merge(current,
// read) under the server's fault lock, then answers the list.
func (s *Server) changeFromBody(w http.ResponseWriter, r *http.Request, merge func(cur, read []namedFault) ([]namedFault, error)) error {
	read, err := readFaults(w, r)
	if err != nil {
		return err
	}
	if err := s.changeNamed(func(cur []namedFault) ([]namedFault, error) { return merge(cur, read) }); err != nil {
		return err
	}
	return s.writeFaults(w, r)
}

// writeFault answers GET /faults/{name}.
func (s *Server) writeFault(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	st, err := s.FaultStatuses()
	if err != nil {
		return apiError{http.StatusInternalServerError, err.Error()}
	}
	for _, f := range st {
		if f.Name == name {
			writeJSON(w, f)
			return nil
		}
	}
	return errNoFault(name)
}

// replaceFault answers PUT /faults/{name}: the body is one fault, which
// takes the place and name of the one named (its fired count starts at 0).
func (s *Server) replaceFault(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	read, err := readFaults(w, r)
	switch {
	case err != nil:
		return err
	case len(read) != 1:
		return fmt.Errorf("PUT /faults/%s takes one fault, got %d; PUT /faults replaces the whole list", abbrev(name), len(read))
	case read[0].name != "" && read[0].name != name:
		return fmt.Errorf("the body names fault %q, the path %q; leave \"name\" out or make them the same", abbrev(read[0].name), abbrev(name))
	}
	err = s.changeOne(name, func(cur []namedFault, i int) []namedFault {
		cur[i].fault = read[0].fault
		return cur
	})
	if err != nil {
		return err
	}
	return s.writeFault(w, r)
}

// deleteFault answers DELETE /faults/{name}.
func (s *Server) deleteFault(w http.ResponseWriter, r *http.Request) error {
	err := s.changeOne(r.PathValue("name"), func(cur []namedFault, i int) []namedFault {
		return append(cur[:i], cur[i+1:]...)
	})
	if err == nil {
		w.WriteHeader(http.StatusNoContent)
	}
	return err
}

// changeOne changes the list at the fault named name under the fault
// lock, or fails with 404 if no fault has that name.
func (s *Server) changeOne(name string, change func(cur []namedFault, i int) []namedFault) error {
	return s.changeNamed(func(cur []namedFault) ([]namedFault, error) {
		for i := range cur {
			if cur[i].name == name {
				return change(cur, i), nil
			}
		}
		return nil, errNoFault(name)
	})
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
