package prober

import (
	"strings"

	"github.com/imapprobe/imapprobe/recording"
)

// Recording turns the report's session into a replayable recording
// (package recording): the transcript as it is (already masked), the TLS
// summaries, each step's verdict and the probe settings a replay needs to
// be probed the same way. No secret is in it: the transcript holds none,
// and Options' secrets are not read.
func (r *Report) Recording(o Options) *recording.Recording {
	rec := &recording.Recording{
		TLS: string(r.Target.TLS), User: r.Target.User, Mailbox: r.Target.Mailbox,
		Auth: strings.ToLower(o.Auth), Select: o.Select, StepTimeout: o.StepTimeout, Slow: o.Slow,
		End: recording.EndClient,
	}
	if rec.TLS == "" {
		rec.TLS = string(TLSImplicit)
	}
	for _, s := range r.Steps {
		st := recording.Step{Name: s.Name, Status: string(s.Status)}
		for _, w := range s.Warnings {
			st.Codes = append(st.Codes, string(w.Code))
		}
		if s.Diagnosis != nil {
			st.Codes = append(st.Codes, string(s.Diagnosis.Code))
			switch s.Diagnosis.Code.Kind() {
			case "dropped", "closed", "bye":
				rec.End = recording.EndServer
			case "reset":
				rec.End = recording.EndReset
			}
		}
		rec.Steps = append(rec.Steps, st)
		if s.Name == StepConnect && s.Status == StatusOK {
			rec.Connected = s.Start + s.Duration
		}
		recording.AddTranscript(rec, s.Transcript)
	}
	// a server line cut short means the server closed, unless the probe
	// gave up waiting for the rest
	if n := len(rec.Lines); n > 0 && rec.Lines[n-1].Partial && rec.End == recording.EndClient {
		if _, code := r.Failure(); code.Kind() != "timeout" {
			rec.End = recording.EndServer
		}
	}
	return rec
}
