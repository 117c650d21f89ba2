package recording

import (
	"strings"

	"github.com/imapprobe/imapprobe/internal/wiretap"
)

// AddTranscript appends a wire-tap transcript (internal/wiretap, already
// masked) to r: its summaries as Infos, its lines as Lines, a server line
// the connection ended in the middle of as Partial. The prober's
// transcript and the fake's, from either end, convert the same way.
func AddTranscript(r *Recording, lines []wiretap.Line) {
	for _, l := range lines {
		switch l.Dir {
		case wiretap.Info:
			r.Infos = append(r.Infos, Info{At: l.At, Text: l.Text})
		case wiretap.Client, wiretap.Server:
			text := l.Text
			if l.Incomplete {
				text = strings.TrimSuffix(text, " …(incomplete)")
			}
			r.Lines = append(r.Lines, Line{Dir: Dir(l.Dir), At: l.At, Text: text,
				Partial: l.Incomplete && l.Dir == wiretap.Server})
		}
	}
}
