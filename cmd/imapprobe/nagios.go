package main

import (
	"fmt"
	"github.com/imapprobe/imapprobe/internal/textreport"
	"io"
	"strings"

	"github.com/imapprobe/imapprobe/prober"
)

// Nagios plugin states (monitoring-plugins guidelines): the exit code is
// the state, and stdout is one line "SERVICE STATE - text | perfdata".
const (
	nagiosOK       = 0
	nagiosWarning  = 1
	nagiosCritical = 2
	nagiosUnknown  = 3
)

var nagiosNames = [...]string{"OK", "WARNING", "CRITICAL", "UNKNOWN"}

// nagiosState maps one probe onto a state: a failed step is CRITICAL (the
// account does not work); a warning (a slow step, a certificate expiring
// within --warn-days, TLS older than 1.2, a read-only mailbox) is
// WARNING; a certificate with fewer than --crit-days left is CRITICAL
// although the probe passed.
func nagiosState(oc outcome, p pipeline) int {
	if oc.rep.Result.Status == prober.StatusFail {
		return nagiosCritical
	}
	if days, ok := certDays(oc.rep); ok && days < p.critDays {
		return nagiosCritical
	}
	if oc.rep.Result.Status == prober.StatusWarn {
		return nagiosWarning
	}
	if days, ok := certDays(oc.rep); ok && days < p.warnDays {
		return nagiosWarning
	}
	return nagiosOK
}

// certDays is the leaf certificate's days to expiry, from TLS or STARTTLS.
func certDays(r *prober.Report) (int, bool) {
	for _, s := range r.Steps {
		var d *prober.TLSDetails
		switch v := s.Details.(type) {
		case *prober.TLSDetails:
			d = v
		case *prober.StartTLSDetails:
			d = &v.TLSDetails
		}
		if d != nil && len(d.Chain) > 0 {
			return d.Chain[0].DaysLeft, true
		}
	}
	return 0, false
}

// writeNagios prints the status line and returns the state as exit code.
// Several results (a batch, --all-addrs) give one line: the worst state,
// the failing targets named, and each one's perfdata labelled by number.
func writeNagios(w io.Writer, outs []outcome, p pipeline, interrupted bool) int {
	if interrupted {
		fmt.Fprintln(w, "IMAP UNKNOWN - interrupted before the probe finished")
		return nagiosUnknown
	}
	state := nagiosOK
	var texts, perf []string
	bad := 0
	for i, oc := range outs {
		st := nagiosState(oc, p)
		state = max(state, st)
		if st != nagiosOK {
			bad++
		}
		if len(outs) == 1 || st != nagiosOK {
			texts = append(texts, nagiosText(oc, st))
		}
		prefix := ""
		if len(outs) > 1 {
			prefix = fmt.Sprintf("%d_", i+1)
		}
		perf = append(perf, nagiosPerf(oc, prefix, p)...)
	}
	text := strings.Join(texts, "; ")
	if len(outs) > 1 {
		head := fmt.Sprintf("%d of %d targets OK", len(outs)-bad, len(outs))
		text = strings.TrimSuffix(head+": "+text, ": ")
	}
	fmt.Fprintf(w, "IMAP %s - %s | %s\n", nagiosNames[state], nagiosClean(text), strings.Join(perf, " "))
	return state
}

// nagiosText says what one probe found, in a few words.
func nagiosText(oc outcome, state int) string {
	r := oc.rep.Result
	switch {
	case r.Status == prober.StatusFail:
		d := oc.rep.Step(r.Step).Diagnosis
		return fmt.Sprintf("%s: %s at %s: %s", oc.label, r.Code, r.Step, d.Summary)
	case r.Status == prober.StatusWarn:
		return fmt.Sprintf("%s: OK with warnings %s in %s", oc.label, codeList(oc.rep.Codes()), seconds(oc.rep.Duration)+"s")
	case state != nagiosOK:
		days, _ := certDays(oc.rep)
		return fmt.Sprintf("%s: certificate expires in %d days", oc.label, days)
	}
	return fmt.Sprintf("%s: session OK up to %s in %ss", oc.label, oc.rep.Requested[len(oc.rep.Requested)-1], seconds(oc.rep.Duration))
}

// nagiosPerf is "step=0.012000s;;;0" for each step that ran, the total,
// and cert_days with --warn-days and --crit-days as "alert below" ranges.
func nagiosPerf(oc outcome, prefix string, p pipeline) []string {
	var out []string
	for _, s := range oc.rep.Steps {
		if s.Status == prober.StatusSkipped || s.Status == prober.StatusNotRequested {
			continue
		}
		out = append(out, fmt.Sprintf("%s%s=%ss;;;0", prefix, s.Name, seconds(s.Duration)))
	}
	out = append(out, fmt.Sprintf("%stime=%ss;;;0", prefix, seconds(oc.rep.Duration)))
	if days, ok := certDays(oc.rep); ok {
		out = append(out, fmt.Sprintf("%scert_days=%d;%d:;%d:;0", prefix, days, p.warnDays, p.critDays))
	}
	return out
}

// nagiosClean keeps the status text on one line and out of the perfdata:
// a '|' there would start it.
func nagiosClean(s string) string {
	return strings.ReplaceAll(oneLine(textreport.Escape(s)), "|", "/")
}

// failNagios is bad input under --format nagios: UNKNOWN, exit 3.
func failNagios(stdout, stderr io.Writer, msg string) int {
	msg = oneLine(msg)
	fmt.Fprintln(stderr, "imapprobe: "+msg)
	fmt.Fprintln(stdout, "IMAP UNKNOWN - "+nagiosClean(msg))
	return nagiosUnknown
}

// wantsNagios finds --format nagios before parsing, as wantsJSON does.
func wantsNagios(args []string) bool {
	on := false
	for i, a := range args {
		if a == "--" {
			break
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "format" {
			continue
		}
		if !hasVal && i+1 < len(args) {
			val = args[i+1]
		}
		on = val == "nagios"
	}
	return on
}
