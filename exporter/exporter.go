// Package exporter is imapprobe's Prometheus exporter, shaped like
// blackbox_exporter: GET /probe?target=URL&module=NAME runs one probe with
// the named module of a YAML configuration and answers with its metrics in
// the Prometheus text format, from a registry made for that probe alone;
// /metrics has the exporter's own metrics; POST /-/reload (and SIGHUP,
// through ReloadOn) rereads the configuration, keeping the old one when
// the new one is bad.
//
// A probe's deadline is the scrape timeout Prometheus sends
// (X-Prometheus-Scrape-Timeout-Seconds) minus a margin, capped by the
// module's timeout. At most MaxConcurrent probes run at once and at most
// MaxQueue wait; a probe beyond those is answered 503 and counted in
// imapprobe_exporter_probes_rejected_total.
//
// Credentials come only from the configuration, by reference (a file, an
// environment variable or a command), and appear on no page, metric or
// log.
package exporter

import (
	"cmp"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Options configure an Exporter.
type Options struct {
	ConfigFile    string        // the YAML modules file
	MaxConcurrent int           // probes at once; default DefaultMaxConcurrent
	MaxQueue      int           // probes waiting for a slot; default DefaultMaxQueue; <0 means none
	TimeoutOffset time.Duration // subtracted from the scrape timeout; default 0.5 s
	Logger        *slog.Logger  // default: discard
	// Env resolves password_env and token_env; default os.Getenv.
	Env func(string) string
}

// Limits' defaults.
var (
	DefaultMaxConcurrent = 16 * runtime.GOMAXPROCS(0)
	DefaultMaxQueue      = 4 * DefaultMaxConcurrent
)

// Exporter serves /probe, /metrics and /-/reload.
type Exporter struct {
	opts    Options
	log     *slog.Logger
	env     func(string) string
	cfg     atomic.Pointer[Config]
	reload  sync.Mutex
	limit   *limiter
	metrics *exporterMetrics
	// Registry holds the exporter's own metrics, served on /metrics.
	Registry *prometheus.Registry
}

// New loads the configuration and returns an exporter; a bad
// configuration is an error, in one line.
func New(o Options) (*Exporter, error) {
	o.MaxConcurrent = cmp.Or(o.MaxConcurrent, DefaultMaxConcurrent)
	if o.MaxConcurrent < 0 {
		return nil, fmt.Errorf("max concurrent probes %d is negative", o.MaxConcurrent)
	}
	switch {
	case o.MaxQueue == 0:
		o.MaxQueue = DefaultMaxQueue
	case o.MaxQueue < 0:
		o.MaxQueue = 0
	}
	if o.TimeoutOffset == 0 {
		o.TimeoutOffset = DefaultTimeoutOffset
	}
	e := &Exporter{opts: o, log: o.Logger, env: o.Env, limit: newLimiter(o.MaxConcurrent, o.MaxQueue)}
	if e.log == nil {
		e.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if e.env == nil {
		e.env = os.Getenv
	}
	cfg, err := e.load()
	if err != nil {
		return nil, err
	}
	e.cfg.Store(cfg)
	e.Registry = prometheus.NewRegistry()
	e.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	e.metrics = newExporterMetrics(e.Registry, e.limit)
	e.metrics.reloadOK.Set(1)
	e.metrics.reloadTime.SetToCurrentTime()
	e.metrics.initModules(cfg)
	return e, nil
}

func (e *Exporter) config() *Config { return e.cfg.Load() }

// Handler serves every path of the exporter.
func (e *Exporter) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/probe", e.handleProbe)
	mux.Handle("/metrics", promhttp.HandlerFor(e.Registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("/-/reload", e.handleReload)
	mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "Healthy\n") })
	mux.HandleFunc("/{$}", e.handleIndex)
	return mux
}

// handleIndex lists the modules and the paths; nothing secret is on it.
func (e *Exporter) handleIndex(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "imapprobe exporter\n\n/probe?target=imaps://user@host/INBOX&module=NAME  one probe\n/metrics  the exporter's own metrics\n/-/reload  POST: reread the configuration\n\nmodules: %s\n", strings.Join(e.config().ModuleNames(), ", "))
}

// exporterMetrics are the exporter's own, on /metrics.
type exporterMetrics struct {
	probes           *prometheus.CounterVec
	probeTime        *prometheus.HistogramVec
	rejected         *prometheus.CounterVec
	unknownModule    prometheus.Counter
	credentialErrors *prometheus.CounterVec
	reloadOK         prometheus.Gauge
	reloadTime       prometheus.Gauge
}

func newExporterMetrics(reg prometheus.Registerer, l *limiter) *exporterMetrics {
	m := &exporterMetrics{
		probes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "imapprobe_exporter_probes_total",
			Help: "Probes run, by module and result (success or failure)."}, []string{"module", "result"}),
		probeTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "imapprobe_exporter_probe_duration_seconds",
			Help: "Duration of the probes run, by module.", Buckets: prometheus.ExponentialBuckets(0.005, 4, 8)}, []string{"module"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "imapprobe_exporter_probes_rejected_total",
			Help: "Probes answered 503 without running: queue_full (over --max-queue waiting) or queue_timeout (the deadline passed while waiting)."}, []string{"reason"}),
		unknownModule: prometheus.NewCounter(prometheus.CounterOpts{Name: "imapprobe_exporter_module_unknown_total",
			Help: "Probe requests naming a module the configuration lacks."}),
		credentialErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "imapprobe_exporter_credential_errors_total",
			Help: "Probes whose credentials could not be read (the probe ran without them), by module."}, []string{"module"}),
		reloadOK: prometheus.NewGauge(prometheus.GaugeOpts{Name: "imapprobe_exporter_config_last_reload_successful",
			Help: "Whether the last configuration load succeeded."}),
		reloadTime: prometheus.NewGauge(prometheus.GaugeOpts{Name: "imapprobe_exporter_config_last_reload_success_timestamp_seconds",
			Help: "Unix time of the last successful configuration load."}),
	}
	reg.MustRegister(m.probes, m.probeTime, m.rejected, m.unknownModule, m.credentialErrors, m.reloadOK, m.reloadTime,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "imapprobe_exporter_probes_in_flight",
			Help: "Probes running now."}, func() float64 { return float64(l.running()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "imapprobe_exporter_probes_queued",
			Help: "Probes waiting for a slot now."}, func() float64 { return float64(l.queued()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "imapprobe_exporter_max_concurrent_probes",
			Help: "The concurrency limit (--max-concurrent)."}, func() float64 { return float64(cap(l.slots)) }),
	)
	for _, reason := range []string{"queue_full", "queue_timeout"} {
		m.rejected.WithLabelValues(reason)
	}
	return m
}

// initModules makes the per-module series exist at 0 from the start, so
// that rate() and absent() work before the first probe or failure.
func (m *exporterMetrics) initModules(cfg *Config) {
	for name := range cfg.Modules {
		m.probes.WithLabelValues(name, "success")
		m.probes.WithLabelValues(name, "failure")
		m.credentialErrors.WithLabelValues(name)
	}
}
