package exporter

import (
	"net"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/imapprobe/imapprobe/prober"
)

// Help texts of the per-probe metrics; blackbox_exporter's names and
// meanings where it has them, so its dashboards and alerts carry over.
// README.md's metric table lists each; a test holds the two together.
const (
	helpSuccess     = "Whether the probe succeeded: 1 when every requested step passed (warnings allowed unless the module is strict)."
	helpDuration    = "Returns how long the probe took to complete in seconds."
	helpDNS         = "Returns the time taken for probe dns lookup in seconds."
	helpIPProtocol  = "Specifies whether probe ip protocol is IP4 or IP6."
	helpCertExpiry  = "Returns last SSL chain expiry in unixtime: the earliest not-after of the certificates the server presented."
	helpTLSVersion  = "Returns the TLS version used, as the label version, with value 1."
	helpStepTime    = "Duration of each step performed, in seconds."
	helpStepSuccess = "1 when the step was performed and passed, 0 when it failed; absent when it was skipped, not used or not requested."
	helpDiagnosis   = "One series per diagnosis raised, failures (severity error) and warnings (severity warning), with value 1."
	helpMessages    = "Messages in the probed mailbox (EXISTS of EXAMINE or SELECT)."
)

// probeMetrics writes what rep says into reg.
func probeMetrics(reg *prometheus.Registry, rep *prober.Report) {
	gauge := func(name, help string, v float64) {
		g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
		g.Set(v)
		reg.MustRegister(g)
	}
	success := 0.0
	if rep.Result != nil && rep.Result.ExitCode == prober.ExitOK {
		success = 1
	}
	gauge("probe_success", helpSuccess, success)
	gauge("probe_duration_seconds", helpDuration, rep.Duration.Seconds())

	stepTime := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "imapprobe_step_duration_seconds", Help: helpStepTime}, []string{"step"})
	stepOK := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "imapprobe_step_success", Help: helpStepSuccess}, []string{"step"})
	diag := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "imapprobe_diagnosis_info", Help: helpDiagnosis}, []string{"step", "code", "severity"})
	reg.MustRegister(stepTime, stepOK, diag)
	for _, s := range rep.Steps {
		if !performed(s.Status) {
			continue
		}
		stepTime.WithLabelValues(s.Name).Set(s.Duration.Seconds())
		ok := 0.0
		if s.Status != prober.StatusFail {
			ok = 1
		}
		stepOK.WithLabelValues(s.Name).Set(ok)
		for _, w := range s.Warnings {
			diag.WithLabelValues(s.Name, string(w.Code), string(w.Severity)).Set(1)
		}
		if d := s.Diagnosis; d != nil {
			diag.WithLabelValues(s.Name, string(d.Code), string(d.Severity)).Set(1)
		}
	}

	if s := rep.Step(prober.StepResolve); s != nil && performed(s.Status) {
		gauge("probe_dns_lookup_time_seconds", helpDNS, s.Duration.Seconds())
		if v := ipProtocol(rep); v != 0 {
			gauge("probe_ip_protocol", helpIPProtocol, float64(v))
		}
	}
	if td := tlsDetails(rep); td != nil {
		if td.Version != "" {
			v := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "probe_tls_version_info", Help: helpTLSVersion}, []string{"version"})
			v.WithLabelValues(td.Version).Set(1)
			reg.MustRegister(v)
		}
		var earliest time.Time
		for _, c := range td.Chain {
			if earliest.IsZero() || c.NotAfter.Before(earliest) {
				earliest = c.NotAfter
			}
		}
		if !earliest.IsZero() {
			gauge("probe_ssl_earliest_cert_expiry", helpCertExpiry, float64(earliest.Unix()))
		}
	}
	if s := rep.Step(prober.StepSelect); s != nil && performed(s.Status) {
		if d, ok := s.Details.(*prober.SelectDetails); ok && s.Status != prober.StatusFail {
			gauge("imapprobe_mailbox_messages", helpMessages, float64(d.Exists))
		}
	}
}

// performed reports whether a step ran: OK means tested, so a step that
// did not run has no success series at all.
func performed(st prober.Status) bool {
	return st == prober.StatusOK || st == prober.StatusWarn || st == prober.StatusFail
}

// ipProtocol is 4 or 6 for the address connected to, else for the first
// address resolved, else 0.
func ipProtocol(rep *prober.Report) int {
	addr := ""
	if s := rep.Step(prober.StepConnect); s != nil {
		if d, ok := s.Details.(*prober.ConnectDetails); ok && d.Address != "" {
			addr = d.Address
		}
	}
	if addr == "" {
		if s := rep.Step(prober.StepResolve); s != nil {
			if d, ok := s.Details.(*prober.ResolveDetails); ok && len(d.Addresses) > 0 {
				addr = d.Addresses[0]
			}
		}
	}
	if host, _, err := net.SplitHostPort(addr); err == nil {
		addr = host
	}
	ip := net.ParseIP(addr)
	switch {
	case ip == nil:
		return 0
	case ip.To4() != nil:
		return 4
	}
	return 6
}

// tlsDetails returns the handshake's details from the tls or starttls
// step, whichever ran, or nil.
func tlsDetails(rep *prober.Report) *prober.TLSDetails {
	for _, name := range []string{prober.StepTLS, prober.StepStartTLS} {
		s := rep.Step(name)
		if s == nil || !performed(s.Status) {
			continue
		}
		switch d := s.Details.(type) {
		case *prober.TLSDetails:
			return d
		case *prober.StartTLSDetails:
			return &d.TLSDetails
		}
	}
	return nil
}
