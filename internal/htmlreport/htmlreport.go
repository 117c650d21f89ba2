// Package htmlreport renders a prober.Report as one self-contained HTML
// file: inline CSS and SVG, no script and no external resource, so that it
// opens offline and can be attached to a ticket. It shows the verdict and
// its diagnosis card, the steps with the failing one marked, a waterfall of
// step timings, the certificate chain and the redacted transcript.
//
// Everything it prints comes from the report, which holds no secret; the
// template escapes all of it.
package htmlreport

import (
	"bytes"
	_ "embed"
	"fmt"
	"github.com/imapprobe/imapprobe/internal/textreport"
	"html/template"
	"io"
	"sync"
	"time"

	"github.com/imapprobe/imapprobe/internal/wiretap"
	"github.com/imapprobe/imapprobe/prober"
)

var (
	//go:embed report.html.tmpl
	pageText string
	//go:embed report.css
	css string

	// page is parsed on first use: a probe without --html must not pay
	// for it at start-up (1,000 allocations).
	page = sync.OnceValue(func() *template.Template { return template.Must(template.New("report").Parse(pageText)) })
)

// Write renders r as an HTML document to w.
func Write(w io.Writer, r *prober.Report) error {
	var buf bytes.Buffer // render whole, so a template error leaves no half page
	if err := page().Execute(&buf, build(r)); err != nil {
		return fmt.Errorf("htmlreport: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// WriteFragment renders r's body alone (verdict, diagnosis card, steps,
// waterfall, chain, transcript), without <html>, <head> or the inline
// style: for a page that embeds the report and serves CSS as a file.
func WriteFragment(w io.Writer, r *prober.Report) error {
	var buf bytes.Buffer
	if err := page().ExecuteTemplate(&buf, "body", build(r)); err != nil {
		return fmt.Errorf("htmlreport: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// CSS is the report's style sheet, for a page that serves WriteFragment.
func CSS() string { return css }

// view is what the template reads: the report digested into strings and
// coordinates, so the template holds no logic beyond loops.
type view struct {
	CSS       template.CSS
	Target    string
	Started   string
	Duration  string
	Status    string // ok, warn or fail
	Verdict   string
	FailStep  string
	Diagnosis *prober.Diagnosis
	Warnings  []warning
	Steps     []stepView
	Bars      []bar
	ChartH    int
	AxisY     int // where the tick lines end
	LabelY    int // the baseline of the tick labels
	Scale     []tick
	Chain     []certView
	ChainFrom string
	Omitted   int
	ExitCode  int
}

type warning struct {
	Step string
	prober.Diagnosis
}

type stepView struct {
	Name, Status, Mark, Duration, Note string
	Failing                            bool
	Transcript                         []lineView
}

type lineView struct {
	At, Dir, Class, Text string
}

// bar is one waterfall row, in SVG user units.
type bar struct {
	Step, Status, Label string
	Y, TextY            int
	X, W                float64
	Failing             bool
}

type tick struct {
	X     float64
	Label string
}

type certView struct {
	Subject, Issuer, SANs, NotAfter, Class string
	Days                                   string // "364 days left", or "expired 3 days ago"
}

// Waterfall geometry: a label column, then the time axis.
const (
	labelW = 110.0
	axisW  = 560.0
	rowH   = 22
)

var marks = map[prober.Status]string{
	prober.StatusOK: "✓", prober.StatusWarn: "!", prober.StatusFail: "✗",
	prober.StatusSkipped: "–", prober.StatusNotRequested: "·",
}

func build(r *prober.Report) view {
	res := r.Result
	if res == nil {
		res = r.Verdict(false)
	}
	v := view{
		CSS: template.CSS(css), Target: textreport.DescribeTarget(r.Target), Started: r.Started.UTC().Format(time.RFC3339),
		Duration: textreport.FormatDuration(r.Duration), Status: string(res.Status), FailStep: res.Step,
		Omitted: r.TranscriptOmitted, ExitCode: res.ExitCode,
	}
	switch res.Status {
	case prober.StatusFail:
		v.Verdict = fmt.Sprintf("FAIL at %s (%s)", res.Step, res.Code)
	case prober.StatusWarn:
		v.Verdict = "OK with warnings"
	default:
		v.Verdict = "OK"
	}
	total := r.Duration
	for _, s := range r.Steps {
		total = max(total, s.Start+s.Duration)
	}
	for _, s := range r.Steps {
		failing := s.Status == prober.StatusFail && s.Name == res.Step
		if failing {
			v.Diagnosis = s.Diagnosis
		}
		for _, d := range s.Warnings {
			v.Warnings = append(v.Warnings, warning{s.Name, d})
		}
		sv := stepView{Name: s.Name, Status: string(s.Status), Mark: marks[s.Status], Note: s.Note, Failing: failing}
		if performed(s.Status) {
			sv.Duration = textreport.FormatDuration(s.Duration)
			v.Bars = append(v.Bars, makeBar(s, failing, len(v.Bars), total))
		}
		for _, l := range s.Transcript {
			sv.Transcript = append(sv.Transcript, makeLine(l))
		}
		v.Steps = append(v.Steps, sv)
		if d := tlsOf(s); d != nil && len(d.Chain) > 0 && v.Chain == nil {
			v.ChainFrom = s.Name
			for _, c := range d.Chain {
				v.Chain = append(v.Chain, makeCert(c, r.Started))
			}
		}
	}
	v.AxisY = len(v.Bars)*rowH + 8
	v.LabelY = v.AxisY + 14
	v.ChartH = v.LabelY + 6
	v.Scale = scale(total)
	return v
}

// performed says whether a step ran, and so has a bar.
func performed(s prober.Status) bool {
	return s != prober.StatusSkipped && s != prober.StatusNotRequested
}

func makeBar(s prober.Step, failing bool, row int, total time.Duration) bar {
	b := bar{Step: s.Name, Status: string(s.Status), Failing: failing, Y: row*rowH + 4, TextY: row*rowH + 17,
		Label: textreport.FormatDuration(s.Duration), X: labelW}
	if total > 0 {
		b.X += axisW * float64(s.Start) / float64(total)
		b.W = axisW * float64(s.Duration) / float64(total)
	}
	b.W = max(b.W, 1.5) // a 40µs step stays visible
	return b
}

// scale gives five ticks along the time axis.
func scale(total time.Duration) []tick {
	var out []tick
	for i := range 5 {
		f := float64(i) / 4
		out = append(out, tick{X: labelW + axisW*f, Label: tickLabel(time.Duration(f * float64(total)))})
	}
	return out
}

// tickLabel keeps three digits, so that the ticks of a 2 ms probe do
// not all read "1ms".
func tickLabel(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%.3gms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.3gs", d.Seconds())
}

func makeLine(l wiretap.Line) lineView {
	class := "x" // TLS and other notes
	switch l.Dir {
	case wiretap.Client:
		class = "c"
	case wiretap.Server:
		class = "s"
	}
	return lineView{At: fmt.Sprintf("+%.3fs", l.At.Seconds()), Dir: string(l.Dir), Class: class, Text: l.Text}
}

func tlsOf(s prober.Step) *prober.TLSDetails {
	switch d := s.Details.(type) {
	case *prober.TLSDetails:
		return d
	case *prober.StartTLSDetails:
		return &d.TLSDetails
	}
	return nil
}

// makeCert says "expired" from NotAfter, not DaysLeft: DaysLeft rounds
// towards zero, so a certificate expired an hour before reads 0.
func makeCert(c prober.CertSummary, at time.Time) certView {
	cv := certView{Subject: c.Subject, Issuer: c.Issuer, NotAfter: c.NotAfter.UTC().Format("2006-01-02"),
		Days: fmt.Sprintf("%d days left", c.DaysLeft), Class: "ok"}
	for i, s := range c.SANs {
		if i > 0 {
			cv.SANs += ", "
		}
		cv.SANs += s
	}
	switch {
	case c.NotAfter.Before(at):
		cv.Class, cv.Days = "fail", fmt.Sprintf("expired %d days ago", int(at.Sub(c.NotAfter).Hours()/24))
	case c.DaysLeft < int(prober.DefaultExpiryWarning.Hours()/24):
		cv.Class = "warn"
	}
	return cv
}
