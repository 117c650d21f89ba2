package exporter

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
)

// load reads the configuration file.
func (e *Exporter) load() (*Config, error) {
	f, err := os.Open(e.opts.ConfigFile)
	if err != nil {
		return nil, fmt.Errorf("cannot read the configuration: %w", err)
	}
	defer f.Close()
	cfg, err := ParseConfig(f, e.env)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", e.opts.ConfigFile, err)
	}
	return cfg, nil
}

// Reload rereads the configuration. A bad one is reported and the old one
// kept, as blackbox_exporter does; probes already running finish with the
// module they started with.
func (e *Exporter) Reload() error {
	e.reload.Lock()
	defer e.reload.Unlock()
	cfg, err := e.load()
	if err != nil {
		e.metrics.reloadOK.Set(0)
		e.log.Error("configuration reload failed; keeping the old one", "err", err.Error())
		return err
	}
	e.cfg.Store(cfg)
	e.metrics.reloadOK.Set(1)
	e.metrics.reloadTime.SetToCurrentTime()
	e.metrics.initModules(cfg)
	e.log.Info("configuration reloaded", "modules", strings.Join(cfg.ModuleNames(), ","))
	return nil
}

// ReloadOn reloads at every value from sig (SIGHUP) until ctx ends.
func (e *Exporter) ReloadOn(ctx context.Context, sig <-chan os.Signal) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-sig:
			_ = e.Reload() // logged
		}
	}
}

// handleReload serves POST /-/reload: 200, or 500 with the error.
func (e *Exporter) handleReload(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "/-/reload takes POST", http.StatusMethodNotAllowed)
		return
	}
	if err := e.Reload(); err != nil {
		http.Error(w, "failed to reload config: "+err.Error(), http.StatusInternalServerError)
		return
	}
	fmt.Fprintln(w, "configuration reloaded")
}
