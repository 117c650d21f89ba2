package exporter

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/imapprobe/imapprobe/prober"
)

// Query parameters of /probe; any other is refused, so that a password=
// or token= in a scrape URL is an error rather than silently ignored.
const (
	paramTarget = "target"
	paramModule = "module"
)

// DefaultModule is the module of a /probe request without module=.
const DefaultModule = "default"

// Timeouts: blackbox_exporter's defaults and margin.
const (
	// DefaultTimeoutOffset is subtracted from the scrape timeout, so that
	// the answer reaches Prometheus before it gives up.
	DefaultTimeoutOffset = 500 * time.Millisecond
	// noHeaderTimeout is the scrape timeout assumed without the header.
	noHeaderTimeout = 120 * time.Second
	// MaxProbeTimeout caps any probe, whatever the header says.
	MaxProbeTimeout = 5 * time.Minute
)

// handleProbe serves /probe?target=URL&module=NAME.
func (e *Exporter) handleProbe(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "/probe takes GET", http.StatusMethodNotAllowed)
		return
	}
	q := r.URL.Query()
	if bad := unknownParams(q); bad != "" {
		e.badRequest(w, fmt.Sprintf("unknown parameter %q: /probe takes only target and module; credentials come from the module's configuration, never from the URL", bad))
		return
	}
	cfg := e.config()
	name := q.Get(paramModule)
	if name == "" {
		name = DefaultModule
	}
	m, ok := cfg.Modules[name]
	if !ok {
		e.metrics.unknownModule.Inc()
		e.badRequest(w, fmt.Sprintf("unknown module %q: use one of %s", name, strings.Join(cfg.ModuleNames(), ", ")))
		return
	}
	raw := q.Get(paramTarget)
	if raw == "" {
		e.badRequest(w, "target parameter is missing: use /probe?target=imaps://user@host/INBOX&module="+url.QueryEscape(name))
		return
	}
	t, err := m.target(raw)
	if err != nil {
		e.badRequest(w, "bad target: "+err.Error())
		return
	}
	timeout, err := probeTimeout(r.Header.Get("X-Prometheus-Scrape-Timeout-Seconds"), e.opts.TimeoutOffset, m.Timeout)
	if err != nil {
		e.badRequest(w, err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()

	release, err := e.limit.acquire(ctx)
	if err != nil {
		e.metrics.rejected.WithLabelValues(rejectReason(err)).Inc()
		e.log.Warn("probe rejected", "module", name, "target", raw, "reason", err.Error())
		http.Error(w, "probe rejected: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	defer release()

	o := m.options(timeout)
	if err := e.credentials(ctx, m, t.User, &o); err != nil {
		// The probe still runs, without credentials, so that the
		// connection is tested and auth fails as auth.no_credentials.
		e.metrics.credentialErrors.WithLabelValues(name).Inc()
		e.log.Error("cannot read credentials", "module", name, "user", t.User, "err", err.Error())
		o.Password, o.Token = "", ""
	}
	rep := prober.Probe(ctx, t, o)

	reg := prometheus.NewRegistry()
	probeMetrics(reg, rep)
	result := "success"
	if rep.Result == nil || rep.Result.ExitCode != prober.ExitOK {
		result = "failure"
	}
	e.metrics.probes.WithLabelValues(name, result).Inc()
	e.metrics.probeTime.WithLabelValues(name).Observe(rep.Duration.Seconds())
	step, code := rep.Failure()
	e.log.Debug("probe done", "module", name, "target", raw, "result", result, "step", step, "code", string(code), "duration", rep.Duration)
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(w, r)
}

func (e *Exporter) badRequest(w http.ResponseWriter, msg string) {
	e.log.Debug("bad probe request", "err", msg)
	http.Error(w, msg, http.StatusBadRequest)
}

// unknownParams returns the first query parameter /probe does not take.
func unknownParams(q url.Values) string {
	var keys []string
	for k := range q {
		if k != paramTarget && k != paramModule {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	if len(keys) == 0 {
		return ""
	}
	return keys[0]
}

// probeTimeout is blackbox_exporter's rule: the scrape timeout from
// Prometheus's header (120 s without it) minus the offset, or the module's
// timeout when that is shorter. When the offset eats the whole scrape
// timeout, half of it is used; MaxProbeTimeout caps everything.
func probeTimeout(header string, offset, module time.Duration) (time.Duration, error) {
	scrape := noHeaderTimeout
	if header != "" {
		secs, err := strconv.ParseFloat(header, 64)
		if err != nil || secs <= 0 || secs > 1e6 {
			return 0, fmt.Errorf("bad X-Prometheus-Scrape-Timeout-Seconds %q: want a positive number of seconds", header)
		}
		scrape = time.Duration(secs * float64(time.Second))
	}
	d := scrape - offset
	if d <= 0 {
		d = scrape / 2
	}
	if module > 0 && module < d {
		d = module
	}
	return min(d, MaxProbeTimeout), nil
}

// target builds the prober's target from a /probe target: an imaps:// or
// imap:// URL, or host[:port] in the module's TLS mode. The module fills
// what the target leaves out: port, user, mailbox, server name.
func (m *Module) target(raw string) (prober.Target, error) {
	var t prober.Target
	// Anything with a user or a path goes through ParseURL, which refuses
	// a password in any malformed shape without quoting it.
	if strings.ContainsAny(raw, "@/\\") {
		var err error
		if t, err = prober.ParseURL(raw); err != nil {
			return t, err
		}
		switch {
		case !m.tlsSet:
			// no tls: key; the scheme decides
		case m.tlsMode == prober.TLSNone && t.TLS == prober.TLSStartTLS:
			t.TLS = prober.TLSNone
		case m.tlsMode != t.TLS:
			return t, fmt.Errorf("the URL's scheme means TLS %s, but module %q has tls: %s: use host:port, or the matching scheme", t.TLS, m.name, m.tlsMode)
		}
		if m.Port != 0 && !hasPort(raw) {
			t.Port = m.Port
		}
	} else {
		t.TLS = m.tlsMode
		host, port, err := net.SplitHostPort(raw)
		switch {
		case err != nil && strings.Contains(err.Error(), "missing port"):
			host = strings.TrimSuffix(strings.TrimPrefix(raw, "["), "]")
			t.Port = m.Port
		case err != nil:
			return t, errors.New("the target is neither host[:port] nor an imaps:// or imap:// URL")
		default:
			n, err := strconv.Atoi(port)
			if err != nil || n < 1 || n > 65535 {
				return t, errors.New("bad port in the target: use 1-65535")
			}
			t.Port = n
		}
		if t.Port == 0 {
			t.Port = t.TLS.DefaultPort()
		}
		t.Host = host
	}
	if t.User == "" {
		t.User = m.User
	}
	if t.Mailbox == "" {
		t.Mailbox = m.Mailbox
	}
	t.ServerName = m.ServerName
	return t, t.Validate()
}

// hasPort reports whether a URL's authority names a port.
func hasPort(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && u.Port() != ""
}

// options are the prober's options for one probe of the module, without
// credentials.
func (m *Module) options(timeout time.Duration) prober.Options {
	return prober.Options{
		Auth:               strings.ToLower(m.Auth),
		RootCAs:            m.roots,
		InsecureSkipVerify: m.InsecureSkipVerify,
		AllowPlaintextAuth: m.AllowPlaintextAuth,
		Select:             m.Select,
		StepTimeout:        m.StepTimeout,
		Timeout:            timeout,
		Slow:               m.Slow,
		ExpiryWarning:      m.ExpiryWarning,
		MaxFetch:           m.MaxFetch,
		QuitAfter:          m.QuitAfter,
		AllowWeakTLS:       m.AllowWeakTLS,
		Strict:             m.Strict,
	}
}

func rejectReason(err error) string {
	if errors.Is(err, errQueueFull) {
		return "queue_full"
	}
	return "queue_timeout"
}
