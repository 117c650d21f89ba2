package main

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

	"github.com/imapprobe/imapprobe/internal/wiretap"
	"github.com/imapprobe/imapprobe/prober"
)

type textStyle struct {
	verbose, color, strict bool
	interrupted            bool // Ctrl-C: the exit code is 130 whatever the report says
}

const (
	green  = "\x1b[32m"
	red    = "\x1b[31m"
	yellow = "\x1b[33m"
	dim    = "\x1b[2m"
	reset  = "\x1b[0m"
)

func (st textStyle) paint(code, s string) string {
	if !st.color {
		return s
	}
	return code + s + reset
}

// esc makes server-provided text safe for a terminal.
func esc(s string) string { return wiretap.Escape(s, 300) }

// writeText prints the human-readable report.
func writeText(w io.Writer, r *prober.Report, st textStyle) {
	t := r.Target
	fmt.Fprintf(w, "imapprobe %s\n", esc(describeTarget(t)))
	for _, s := range r.Steps {
		mark, colour := "✓", green
		switch s.Status {
		case prober.StatusFail:
			mark, colour = "✗", red
		case prober.StatusWarn:
			mark, colour = "!", yellow
		case prober.StatusSkipped:
			mark, colour = "-", dim
		}
		timing := ""
		if s.Status != prober.StatusSkipped {
			timing = fmtDuration(s.Duration)
		}
		summary := stepSummary(s)
		if s.Note != "" {
			summary = strings.TrimSpace(summary + "  (" + s.Note + ")")
		}
		line := fmt.Sprintf("  %s %-10s %s  %s", st.paint(colour, mark), s.Name, padLeft(timing, 7), esc(summary))
		fmt.Fprintln(w, strings.TrimRight(line, " "))
		for _, d := range s.Warnings {
			writeDiagnosis(w, st, "!", yellow, d)
		}
		if s.Diagnosis != nil {
			writeDiagnosis(w, st, "✗", red, *s.Diagnosis)
		}
		if st.verbose {
			for _, l := range s.Transcript {
				fmt.Fprintf(w, "      %s\n", st.paint(dim, l.String()))
			}
		}
	}
	if st.verbose && r.TranscriptOmitted > 0 {
		fmt.Fprintf(w, "      … %d more transcript lines omitted\n", r.TranscriptOmitted)
	}
	if note := untestedNote(r); note != "" {
		fmt.Fprintln(w, note)
	}
	code := r.ExitCode(st.strict)
	if st.interrupted {
		code = exitInterrupted
	}
	warnings := 0
	for _, s := range r.Steps {
		warnings += len(s.Warnings)
	}
	if step, c := r.Failure(); c != "" {
		fmt.Fprintf(w, "%s at %s (%s) after %s; exit %d\n", st.paint(red, "FAIL"), step, c, fmtDuration(r.Duration), code)
		return
	}
	result := st.paint(green, "OK")
	if warnings > 0 {
		result = st.paint(yellow, fmt.Sprintf("OK with %d warning(s)", warnings))
	}
	fmt.Fprintf(w, "%s after %s; exit %d\n", result, fmtDuration(r.Duration), code)
}

// untestedNote explains an OK that covered only the connection because
// no credentials were given, and how to give them.
func untestedNote(r *prober.Report) string {
	auth := r.Step(prober.StepAuth)
	if auth == nil || auth.Status != prober.StatusSkipped {
		return ""
	}
	const untested = "note: auth, list, select and fetch were not tested: "
	switch {
	case strings.Contains(auth.Note, "no credentials"):
		return untested + "no password or token; set IMAPPROBE_PASSWORD (or IMAPPROBE_TOKEN), use --password-file, or run on a terminal to be prompted"
	case strings.Contains(auth.Note, "no user"):
		return untested + "no user; give one in the URL (imaps://USER@HOST/) or with --user"
	}
	return ""
}

func writeDiagnosis(w io.Writer, st textStyle, mark, colour string, d prober.Diagnosis) {
	fmt.Fprintf(w, "      %s %s: %s\n", st.paint(colour, mark), d.Code, esc(d.Summary))
	if d.Detail != "" {
		fmt.Fprintf(w, "        detail: %s\n", esc(d.Detail))
	}
	if d.Hint != "" {
		fmt.Fprintf(w, "        fix:    %s\n", esc(d.Hint))
	}
}

func describeTarget(t prober.Target) string {
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

func fmtDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < 10*time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	}
	return d.Round(100 * time.Millisecond).String()
}

// stepSummary is the one-line evidence of a step.
func stepSummary(s prober.Step) string {
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

const helpText = `imapprobe: diagnose an IMAP account step by step.

Usage:
  imapprobe [flags] imaps://USER@HOST[:PORT]/MAILBOX   implicit TLS (default port 993)
  imapprobe [flags] imap://USER@HOST[:PORT]/MAILBOX    STARTTLS required (default port 143)
  imapprobe [flags] --host HOST [--port N] [--user U] [--mailbox M] [--tls MODE]
  imapprobe demo                                        run the built-in demonstration

Steps: resolve, connect, tls, greeting, capability, starttls, auth, list,
select (EXAMINE unless --select), fetch (newest message, read-only), logout.
A failing step ends the probe; later steps are reported as skipped.

Target:
  --host HOST             server name (instead of a URL)
  --port N                port (default 993 for implicit TLS, 143 otherwise)
  --user USER             login name (overrides the URL's)
  --mailbox NAME          mailbox to open (default INBOX)
  --tls MODE              implicit | starttls | none (default implicit; starttls for port 143)
  --connect-addr IP[:P]   connect to this address but verify the certificate for HOST
  --servername NAME       name for SNI and certificate verification (default HOST)
  --source-addr IP        local address to connect from

Credentials (never printed; a password in the URL is refused):
  IMAPPROBE_PASSWORD      password from the environment
  --password-file FILE    password from the first line of FILE
  --password PASS         works, but warns: visible in ps and shell history
                          Without any of these, a terminal prompts with echo off.
  --auth MECH             login | plain | xoauth2 | oauthbearer (default: best offered)
  IMAPPROBE_TOKEN         OAuth2 access token from the environment
  --token-file FILE       OAuth2 token from FILE
  --token-cmd CMD         run CMD (with /bin/sh, at most 30s) and use what it prints as the token
  --allow-plaintext-auth  allow sending credentials without TLS (trusted networks only)

TLS:
  --ca-file FILE          trust the CA certificates in this PEM file instead of the system roots
  --insecure-skip-verify  continue despite certificate problems (still reported as warnings)
  --expiry-warning D      warn when the certificate expires within D (default 336h = 14 days)

Limits:
  --timeout D             deadline for each step (default 10s)
  --total-timeout D       deadline for the whole probe (default 60s)
  --slow D                warn when a step takes longer (default 2s)
  --max-fetch SIZE        fetch at most SIZE bytes of the message body (default 1M; e.g. 64K)
  --select                open the mailbox with SELECT instead of read-only EXAMINE

Output:
  (default)               readable report: ✓ ok, ! warning, ✗ failure, - skipped, with timings,
                          the diagnosis code, detail and fix; colour only on a terminal
                          and never when NO_COLOR is set
  -v, --verbose           add the redacted wire transcript (C: client, S: server, *: TLS)
  --json                  print the report as JSON (schema "imapprobe/report/v1")
  --strict                exit 1 when there are warnings
  -h, --help              this help

Exit codes:
  0 OK (warnings allowed)      5 greeting, capability or STARTTLS
  1 warnings, with --strict    6 authentication
  2 usage error                7 mailbox (list, select)
  3 DNS or TCP                 8 fetch
  4 TLS                        9 other server misbehaviour (dropped, BAD, malformed)
  130 interrupted (Ctrl-C): the report printed so far is incomplete

Every diagnosis code, with cause and fix, is listed in docs/diagnoses.md.
`
