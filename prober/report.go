// Package prober diagnoses an IMAP account step by step (resolve, connect,
// TLS, greeting, capability, STARTTLS, auth, list, select, fetch, logout)
// and reports, for each step, a status, timings, a stable diagnosis code
// with a fix hint, typed evidence and a redacted wire transcript.
//
// Probe is the entry point; Catalog lists every diagnosis code.
//
// # JSON report, schema "imapprobe/report/v1"
//
// A Report marshals to one object. Durations and offsets are integer
// nanoseconds (fields ending in _ns); times are RFC 3339.
//
//	{
//	  "schema": "imapprobe/report/v1",
//	  "target": {"host", "port", "tls": "implicit|starttls|none", "user", "mailbox",
//	             "connect_addr", "server_name"},
//	  "started": "2026-11-26T12:00:00Z", "duration_ns": 123,
//	  "transcript_omitted": 0,          // wire lines dropped over the cap
//	  "steps": [{                       // always all eleven, in order
//	    "name": "resolve|connect|tls|greeting|capability|starttls|auth|list|select|fetch|logout",
//	    "status": "ok|warn|fail|skipped|not_requested", "note": "why skipped, or a remark",
//	    "start_ns": 0, "duration_ns": 0,
//	    "diagnosis": {"code", "severity": "error", "summary", "detail", "hint"},  // fail only
//	    "warnings": [{"code", "severity": "warning", "summary", "detail", "hint"}],
//	    "details": {...},               // per step, below
//	    "transcript": [{"at_ns", "dir": "C|S|*", "text", "incomplete": true}]  // incomplete: cut mid-line
//	  }],
//	  "requested_steps": ["resolve", ...], // all but those after --quit-after
//	  "result": {"status": "ok|warn|fail", "step", "code", "exit_code"},  // the verdict
//	  "exit_code": 0                    // added by imapprobe --json: its exit code
//	}
//
// Details per step: resolve ResolveDetails {name, source, addresses};
// connect ConnectDetails {address, local, attempts[{address, error,
// duration_ns}]}; tls TLSDetails {version, cipher, alpn, sni, verified,
// verify_error, chain[{subject, sans, issuer, not_before, not_after,
// days_left}]}; greeting GreetingDetails {text, status, capabilities};
// capability CapabilityDetails {capabilities, mechanisms, from}; starttls
// StartTLSDetails (TLSDetails plus capabilities_after); auth AuthDetails
// {mechanism, credential, capabilities_after, token_error}; list ListDetails {count,
// delimiter, special_use, mailboxes}; select SelectDetails {mailbox,
// command, exists, uidvalidity, uidnext, flags, permanent_flags,
// read_only}; fetch FetchDetails {seq, uid, flags, rfc822_size,
// body_bytes, requested_bytes, truncated, date, subject, from,
// message_id}. Secrets never appear in any field.
package prober

import (
	"strings"
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
	// StatusNotRequested marks a step after Options.QuitAfter: not run
	// because nobody asked, not because an earlier step failed.
	StatusNotRequested Status = "not_requested"
)

// Severity of a diagnosis.
type Severity string

// Severities.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Code is a diagnosis code such as "auth.failed": stable public API. Every
// code is in the catalog (Catalog, Lookup), and codes_gen.go names each one
// as a constant.
type Code string

// Kind is the part after the dot: "timeout" for auth.timeout.
func (c Code) Kind() string {
	_, kind, _ := strings.Cut(string(c), ".")
	return kind
}

// Diagnosis explains a failure or a warning.
type Diagnosis struct {
	Code     Code     `json:"code"`
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
	// Requested lists the steps the probe was asked to run (all but those
	// after Options.QuitAfter), applicable or not.
	Requested []string `json:"requested_steps"`
	// Result is the verdict, so that a pipeline need not scan Steps.
	Result *Result `json:"result"`
}

// Result is a report's verdict: the first failure, else ok or warn.
type Result struct {
	Status   Status `json:"status"`         // ok, warn or fail
	Step     string `json:"step,omitempty"` // the failing step
	Code     Code   `json:"code,omitempty"` // its diagnosis code
	ExitCode int    `json:"exit_code"`      // as ExitCode(Options.Strict)
}

// Verdict computes the Result; Probe stores it in Report.Result.
func (r *Report) Verdict(strict bool) *Result {
	res := &Result{Status: StatusOK, ExitCode: r.ExitCode(strict)}
	if step, code := r.Failure(); code != "" {
		res.Status, res.Step, res.Code = StatusFail, step, code
		return res
	}
	for _, s := range r.Steps {
		if len(s.Warnings) > 0 {
			res.Status = StatusWarn
		}
	}
	return res
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
func (r *Report) Failure() (step string, code Code) {
	for _, s := range r.Steps {
		if s.Status == StatusFail && s.Diagnosis != nil {
			return s.Name, s.Diagnosis.Code
		}
	}
	return "", ""
}

// Codes returns every diagnosis code, warnings included, in step order
// (within a step: warnings first, then the failure).
func (r *Report) Codes() []Code {
	var out []Code
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
