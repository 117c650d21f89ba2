package textreport

import (
	"strings"
	"time"

	"github.com/imapprobe/imapprobe/internal/wiretap"
	"github.com/imapprobe/imapprobe/prober"
)

// Style is how a report is written.
type Style struct {
	Verbose     bool // with each step's transcript
	Color       bool // ANSI colours (UseColor decides)
	Strict      bool // warnings fail (--strict): the exit code printed
	Plain       bool // ASCII only: the locale is not UTF-8 (IsPlain decides)
	Interrupted bool // Ctrl-C: the exit code is 130 whatever the report says
}

// ANSI colours, for Style.Paint.
const (
	Green  = "\x1b[32m"
	Red    = "\x1b[31m"
	Yellow = "\x1b[33m"
	Dim    = "\x1b[2m"
	Reset  = "\x1b[0m"
)

// Paint colours s, on a terminal.
func (st Style) Paint(code, s string) string {
	if !st.Color {
		return s
	}
	return code + s + Reset
}

// marks per status: symbols, or words outside a UTF-8 locale.
var (
	symbolMarks = map[prober.Status]string{prober.StatusOK: "✓", prober.StatusFail: "✗", prober.StatusWarn: "!",
		prober.StatusSkipped: "-", prober.StatusNotRequested: "·"}
	plainMarks = map[prober.Status]string{prober.StatusOK: "OK  ", prober.StatusFail: "FAIL", prober.StatusWarn: "WARN",
		prober.StatusSkipped: "-   ", prober.StatusNotRequested: ".   "}
	markColour = map[prober.Status]string{prober.StatusOK: Green, prober.StatusFail: Red, prober.StatusWarn: Yellow,
		prober.StatusSkipped: Dim, prober.StatusNotRequested: Dim}
)

// Mark is the status's symbol, or word outside a UTF-8 locale.
func (st Style) Mark(s prober.Status) string {
	m := symbolMarks[s]
	if st.Plain {
		m = strings.TrimRight(plainMarks[s], " ")
	}
	return st.Paint(markColour[s], m)
}

// StepMark is Mark padded to one width, for the step column.
func (st Style) StepMark(s prober.Status) string {
	if !st.Plain {
		return st.Mark(s)
	}
	return st.Paint(markColour[s], plainMarks[s])
}

// Dur is FormatDuration, with "us" for "µs" outside a UTF-8 locale.
func (st Style) Dur(d time.Duration) string {
	if st.Plain {
		return strings.ReplaceAll(FormatDuration(d), "µ", "u")
	}
	return FormatDuration(d)
}

// Ellipsis is "…", or "..." outside a UTF-8 locale.
func (st Style) Ellipsis() string {
	if st.Plain {
		return "..."
	}
	return "…"
}

// Escape makes server-provided text safe for a terminal.
func Escape(s string) string { return wiretap.Escape(s, 300) }

// PaintStatus colours text as the status's mark is coloured.
func (st Style) PaintStatus(s prober.Status, text string) string {
	return st.Paint(markColour[s], text)
}
