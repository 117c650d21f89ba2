// Package textreport renders a probe report for a terminal or a pipe: one
// line per step, the diagnoses with their fixes, and the verdict, in colour
// only on a terminal and in ASCII only outside a UTF-8 locale. imapprobe
// and imapprobe-demo share it.
package textreport

import (
	"fmt"
	"io"
	"net"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/imapprobe/imapprobe/prober"
)

// Write prints the human-readable report.
func Write(w io.Writer, r *prober.Report, st Style) {
	t := r.Target
	fmt.Fprintf(w, "imapprobe %s\n", Escape(DescribeTarget(t)))
	var notRequested []string
	for _, s := range r.Steps {
		timing := ""
		switch s.Status {
		case prober.StatusSkipped:
		case prober.StatusNotRequested:
			notRequested = append(notRequested, s.Name)
		default:
			timing = st.Dur(s.Duration)
		}
		summary := StepSummary(s)
		if s.Note != "" {
			summary = strings.TrimSpace(summary + "  (" + s.Note + ")")
		}
		line := fmt.Sprintf("  %s %-10s %s  %s", st.StepMark(s.Status), s.Name, padLeft(timing, 7), Escape(summary))
		fmt.Fprintln(w, strings.TrimRight(line, " "))
		for _, d := range s.Warnings {
			writeDiagnosis(w, st, prober.StatusWarn, d)
		}
		if s.Diagnosis != nil {
			writeDiagnosis(w, st, prober.StatusFail, *s.Diagnosis)
		}
		if st.Verbose {
			for _, l := range s.Transcript {
				fmt.Fprintf(w, "      %s\n", st.Paint(Dim, l.String()))
			}
		}
	}
	if st.Verbose && r.TranscriptOmitted > 0 {
		fmt.Fprintf(w, "      %s %d more transcript lines omitted\n", st.Ellipsis(), r.TranscriptOmitted)
	}
	code := r.ExitCode(st.Strict)
	if st.Interrupted {
		code = ExitInterrupted
	}
	warnings := 0
	for _, s := range r.Steps {
		warnings += len(s.Warnings)
	}
	if step, c := r.Failure(); c != "" {
		fmt.Fprintf(w, "%s at %s (%s) after %s; exit %d\n", st.Paint(Red, "FAIL"), step, c, st.Dur(r.Duration), code)
		return
	}
	result := st.Paint(Green, "OK")
	if warnings > 0 {
		result = st.Paint(Yellow, fmt.Sprintf("OK with %d warning(s)", warnings))
	}
	if len(notRequested) > 0 && len(r.Requested) > 0 {
		// an OK that covered only part of the session says which part
		result += fmt.Sprintf(" up to %s (%s not requested)", r.Requested[len(r.Requested)-1], strings.Join(notRequested, ", "))
	}
	fmt.Fprintf(w, "%s after %s; exit %d\n", result, st.Dur(r.Duration), code)
}

func writeDiagnosis(w io.Writer, st Style, status prober.Status, d prober.Diagnosis) {
	fmt.Fprintf(w, "      %s %s: %s\n", st.Mark(status), d.Code, Escape(d.Summary))
	if d.Detail != "" {
		fmt.Fprintf(w, "        detail: %s\n", Escape(d.Detail))
	}
	if d.Hint != "" {
		fmt.Fprintf(w, "        fix:    %s\n", Escape(d.Hint))
	}
}

// DescribeTarget is the target as a URL, with its TLS mode.
func DescribeTarget(t prober.Target) string {
	scheme := "imaps"
	if t.TLS != prober.TLSImplicit {
		scheme = "imap"
	}
	user := ""
	if t.User != "" {
		user = url.User(t.User).String() + "@" // alice%40example.com, as in the URL
	}
	s := fmt.Sprintf("%s://%s%s/%s (TLS %s)", scheme, user, net.JoinHostPort(t.Host, strconv.Itoa(t.Port)), t.Mailbox, t.TLS)
	if t.ConnectAddr != "" {
		s += " via " + t.ConnectAddr
	}
	return s
}

// padLeft right-aligns s in width columns; unlike %7s it counts "µ" as one.
func padLeft(s string, width int) string {
	return strings.Repeat(" ", max(0, width-utf8.RuneCountInString(s))) + s
}

// FormatDuration is d in µs below a millisecond, in ms below 10 s, and to
// a tenth of a second above.
func FormatDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < 10*time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	}
	return d.Round(100 * time.Millisecond).String()
}

// StepSummary is the one-line evidence of a step.
func StepSummary(s prober.Step) string {
	switch d := s.Details.(type) {
	case *prober.ResolveDetails:
		if len(d.Addresses) == 0 {
			return ""
		}
		return fmt.Sprintf("%s (%s)", strings.Join(d.Addresses, ", "), d.Source)
	case *prober.ConnectDetails:
		var failed []string
		for _, a := range d.Attempts {
			if a.Error != "" {
				failed = append(failed, a.Address)
			}
		}
		tried := ""
		if len(failed) > 0 && (d.Address != "" || len(failed) > 1) {
			tried = "failed: " + strings.Join(failed, ", ")
		}
		if d.Address == "" {
			return tried
		}
		if tried != "" {
			tried = " (" + tried + ")"
		}
		return fmt.Sprintf("%s from %s%s", d.Address, d.Local, tried)
	case *prober.TLSDetails:
		return tlsSummary(d)
	case *prober.StartTLSDetails:
		return tlsSummary(&d.TLSDetails)
	case *prober.GreetingDetails:
		return d.Text
	case *prober.CapabilityDetails:
		return strings.Join(d.Capabilities, " ")
	case *prober.AuthDetails:
		if d.Credential != "" && d.Mechanism != "" {
			return d.Mechanism + " with the " + d.Credential
		}
		return d.Mechanism
	case *prober.ListDetails:
		if s.Status == prober.StatusFail && d.Count == 0 {
			return ""
		}
		s := fmt.Sprintf("%d mailboxes, delimiter %q", d.Count, d.Delimiter)
		if len(d.SpecialUse) > 0 {
			var su []string
			for k, v := range d.SpecialUse {
				su = append(su, k+"="+v)
			}
			sort.Strings(su)
			s += ", special-use " + strings.Join(su, " ")
		}
		return s
	case *prober.SelectDetails:
		if s.Status == prober.StatusFail {
			return d.Command + " " + d.Mailbox // the counts were never received
		}
		ro := ""
		if d.ReadOnly {
			ro = ", read-only"
		}
		return fmt.Sprintf("%s %s: %d messages, UIDVALIDITY %d, UIDNEXT %d%s", d.Command, d.Mailbox, d.Exists, d.UIDValidity, d.UIDNext, ro)
	case *prober.FetchDetails:
		if d.Size == 0 && d.BodyBytes == 0 {
			return ""
		}
		trunc := ""
		if d.Truncated {
			trunc = " (limited by --max-fetch)"
		}
		return fmt.Sprintf("message %d (UID %d): %d of %d bytes%s, subject %q", d.SeqNum, d.UID, d.BodyBytes, d.Size, trunc, d.Subject)
	}
	return ""
}

func tlsSummary(d *prober.TLSDetails) string {
	if d.Version == "" {
		return ""
	}
	s := d.Version + " " + d.Cipher
	if len(d.Chain) > 0 {
		leaf := d.Chain[0]
		s += fmt.Sprintf(", %s, issuer %s, %d days left", leaf.Subject, leaf.Issuer, leaf.DaysLeft)
	}
	if !d.Verified {
		s += ", NOT VERIFIED"
	}
	return s
}

// ExitInterrupted is the shell's code for a process ended by SIGINT: a
// report written after Ctrl-C says it, whatever the probe found.
const ExitInterrupted = 130
