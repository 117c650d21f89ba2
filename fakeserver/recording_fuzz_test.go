package fakeserver_test

import (
	"strings"
	"testing"
	"time"

	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/internal/wiretap"
	"github.com/imapprobe/imapprobe/recording"
)

// FuzzConnRecordRecording: whatever a client names as its user and
// mailbox and whatever the transcript holds (escaped, as the tap writes
// it), a connection's record turns into a recording that encodes, and
// decodes back to the same lines, user and mailbox: a session recording
// is never lost to a client's bytes.
func FuzzConnRecordRecording(f *testing.F) {
	f.Add("carol", `"Sent Items"`, "* OK ready", false)
	f.Add("a\r\nb", "{5}", "\x00\xff\u202e", true)
	f.Add("", `"unterminated`, "C: x", false)
	f.Fuzz(func(t *testing.T, user, args, text string, tls bool) {
		r := fakeserver.ConnRecord{ID: 1, Remote: "127.0.0.1:1", Port: "starttls", User: user, TLS: tls,
			Start: time.Unix(0, 0), Closed: fakeserver.ClosedByFault,
			Commands: []fakeserver.CommandRecord{{Tag: "a", Name: "SELECT", Args: args}},
			Transcript: []wiretap.Line{
				{Dir: wiretap.Server, Text: wiretap.Escape(text, 0)},
				{Dir: wiretap.Info, Text: wiretap.Escape(text, 300)},
				{Dir: wiretap.Client, Text: "a SELECT " + wiretap.Escape(args, 0)},
				{Dir: wiretap.Server, Text: wiretap.Escape(text, 0) + " …(incomplete)", Incomplete: true},
			}}
		rec := r.Recording(false)
		var b strings.Builder
		if err := recording.Encode(&b, rec); err != nil {
			t.Fatalf("Encode: %v", err)
		}
		back, err := recording.Decode(strings.NewReader(b.String()))
		if err != nil {
			t.Fatalf("Decode: %v\n%s", err, b.String())
		}
		if len(back.Lines) != 3 || !back.Lines[2].Partial || back.User != rec.User || back.Mailbox != rec.Mailbox || back.End != recording.EndServer {
			t.Fatalf("decoded %+v from %+v", back, rec)
		}
		if want := map[bool]string{true: "starttls", false: "none"}[tls]; back.TLS != want {
			t.Fatalf("tls %q, want %q", back.TLS, want)
		}
	})
}
