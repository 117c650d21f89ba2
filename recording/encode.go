package recording

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"
)

// Encode writes r in the v1 text form. It fails, writing nothing, when r
// does not validate (a newline in a text, an unknown TLS mode, ...).
func Encode(w io.Writer, r *Recording) error {
	if err := r.Validate(); err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(bw, format+"\n", args...) }
	p("%s", Header)
	if len(r.Comments) == 0 {
		p("# written by imapprobe --record; served by fakeimapd --replay; see the README")
	}
	for _, c := range r.Comments {
		p("# %s", c)
	}
	p("tls %s", r.TLS)
	if r.User != "" {
		p("user %s", r.User)
	}
	if r.Mailbox != "" {
		p("mailbox %s", r.Mailbox)
	}
	if r.Auth != "" {
		p("auth %s", r.Auth)
	}
	if r.Select {
		p("select")
	}
	if r.StepTimeout > 0 {
		p("step-timeout %s", r.StepTimeout)
	}
	if r.Slow > 0 {
		p("slow %s", r.Slow)
	}
	for _, s := range r.Steps {
		p("%s", strings.Join(append([]string{"step", s.Name, s.Status}, s.Codes...), " "))
	}
	if r.Connected > 0 {
		p("connected %s", seconds(r.Connected))
	}
	for _, in := range r.Infos {
		p("info %s %s", seconds(in.At), in.Text)
	}
	for _, l := range r.Lines {
		d := string(l.Dir)
		if l.Partial {
			d += "!"
		}
		p("%s %s %s", d, seconds(l.At), l.Text)
	}
	if r.End != "" {
		p("end %s", r.End)
	}
	return bw.Flush()
}

// seconds formats d as decimal seconds with microseconds, as the
// transcript's timings are shown.
func seconds(d time.Duration) string {
	return fmt.Sprintf("%d.%06d", d/time.Second, (d%time.Second)/time.Microsecond)
}
