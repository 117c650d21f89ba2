// Package prober diagnoses an IMAP account step by step (resolve, connect,
// TLS, greeting, capability, STARTTLS, auth, list, select, fetch, logout)
// and reports, for each step, a status, timings, a stable diagnosis code
// with a fix hint, typed evidence and a redacted wire transcript.
//
// Probe is the entry point; Catalog lists every diagnosis code.
package prober

import (
	"time"

	"github.com/imapprobe/imapprobe/internal/wiretap"
)

// Schema identifies the JSON layout of Report. It changes only when a field
// is removed or changes meaning; new fields may be added within a version.
const Schema = "imapprobe/report/v1"

// Status is the outcome of one step.
type Status string

// Step outcomes.
const (
	StatusOK      Status = "ok"
	StatusWarn    Status = "warn"
	StatusFail    Status = "fail"
	StatusSkipped Status = "skipped"
)

// Severity of a diagnosis.
type Severity string

// Severities.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Step names, in probe order.
const (
	StepResolve    = "resolve"
	StepConnect    = "connect"
	StepTLS        = "tls"
	StepGreeting   = "greeting"
	StepCapability = "capability"
	StepStartTLS   = "starttls"
	StepAuth       = "auth"
	StepList       = "list"
	StepSelect     = "select"
	StepFetch      = "fetch"
	StepLogout     = "logout"
)

// Steps lists the step names in probe order.
var Steps = []string{StepResolve, StepConnect, StepTLS, StepGreeting, StepCapability, StepStartTLS, StepAuth, StepList, StepSelect, StepFetch, StepLogout}

// Diagnosis explains a failure or a warning.
type Diagnosis struct {
	Code     string   `json:"code"`
	Severity Severity `json:"severity"`
	Summary  string   `json:"summary"`
	Detail   string   `json:"detail,omitempty"`
	Hint     string   `json:"hint,omitempty"`
}

// Step is the record of one probe step.
type Step struct {
	Name       string         `json:"name"`
	Status     Status         `json:"status"`
	Note       string         `json:"note,omitempty"` // why skipped, or a remark
	Start      time.Duration  `json:"start_ns"`       // offset from Report.Started
	Duration   time.Duration  `json:"duration_ns"`    // zero when skipped
	Diagnosis  *Diagnosis     `json:"diagnosis,omitempty"`
	Warnings   []Diagnosis    `json:"warnings,omitempty"`
	Details    any            `json:"details,omitempty"` // one of the *Details types of this package
	Transcript []wiretap.Line `json:"transcript,omitempty"`
}

// Report is the result of Probe.
type Report struct {
	Schema   string        `json:"schema"`
	Target   Target        `json:"target"`
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration_ns"`
	Steps    []Step        `json:"steps"`
	// TranscriptOmitted counts wire lines dropped over the transcript limit.
	TranscriptOmitted int `json:"transcript_omitted,omitempty"`
}

// Step returns the record of the named step, or nil.
func (r *Report) Step(name string) *Step {
	for i := range r.Steps {
		if r.Steps[i].Name == name {
			return &r.Steps[i]
		}
	}
	return nil
}

// Failure returns the first failing step and its code, or "", "".
func (r *Report) Failure() (step, code string) {
	for _, s := range r.Steps {
		if s.Status == StatusFail && s.Diagnosis != nil {
			return s.Name, s.Diagnosis.Code
		}
	}
	return "", ""
}

// Codes returns every diagnosis code, warnings included, in step order
// (within a step: warnings first, then the failure).
func (r *Report) Codes() []string {
	var out []string
	for _, s := range r.Steps {
		for _, w := range s.Warnings {
			out = append(out, w.Code)
		}
		if s.Diagnosis != nil {
			out = append(out, s.Diagnosis.Code)
		}
	}
	return out
}

// Exit codes of the imapprobe command; ExitCode maps a report onto them.
const (
	ExitOK         = 0
	ExitWarnings   = 1 // only with strict
	ExitUsage      = 2
	ExitNetwork    = 3 // DNS or TCP
	ExitTLS        = 4
	ExitSession    = 5 // greeting, capability or STARTTLS
	ExitAuth       = 6
	ExitMailbox    = 7
	ExitFetch      = 8
	ExitMisbehaved = 9 // other server misbehaviour
)

// ExitCode returns the process exit code for the report: the failure's code
// from Catalog, else ExitWarnings when strict and any warning was raised,
// else ExitOK.
func (r *Report) ExitCode(strict bool) int {
	if _, code := r.Failure(); code != "" {
		return exitCodeOf(code)
	}
	if strict {
		for _, s := range r.Steps {
			if len(s.Warnings) > 0 {
				return ExitWarnings
			}
		}
	}
	return ExitOK
}
