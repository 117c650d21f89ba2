package fakeserver

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/imapprobe/imapprobe/faults"
	"github.com/imapprobe/imapprobe/internal/wiretap"
	"github.com/imapprobe/imapprobe/recording"
)

// Session recordings: each client connection's session written, when it
// ends, as a recording (package recording) that `fakeimapd --replay`
// serves. In proxy mode this records any client's session with a real
// server, as `imapprobe --record` records a probe's.

// WithSessionRecordings writes each client connection's session to dir
// (created if missing) as a recording, one file a connection, when the
// connection ends: the transcript as the client saw it, faults applied,
// masked as everywhere (LOGIN's password, AUTHENTICATE's payloads and
// every continuation line of the exchange are "[redacted]", and so is
// any later echo of the secrets they carried), with who
// closed. A file is never overwritten: see recordingName. The recording
// has no step lines: the fake diagnoses nothing. A connection's
// transcript then keeps longer lines and more of them (recordLimits).
func WithSessionRecordings(dir string) Option { return func(c *config) { c.recordDir = dir } }

// recordLimits replace transcriptLimits while recording: whole lines up
// to the tap's 1 KiB buffer (a longer one is replayed padded to its
// length), and as many lines as the prober keeps.
var recordLimits = wiretap.Limits{MaxLines: 2000}

// checkRecordDir creates the recording directory, or says why it cannot.
func (c *config) checkRecordDir() error {
	if c.recordDir == "" {
		return nil
	}
	if err := os.MkdirAll(c.recordDir, 0o700); err != nil {
		return fmt.Errorf("WithSessionRecordings: %w", err)
	}
	return nil
}

// Recording turns the record into a session recording. tls is how the
// client connected: the implicit-TLS port, a STARTTLS it made, or
// neither; user is the user it named. reset says the connection ended
// with a TCP reset.
func (r ConnRecord) Recording(reset bool) *recording.Recording {
	rec := &recording.Recording{TLS: "none", User: r.User, End: recording.EndServer}
	switch {
	case r.Port == "tls":
		rec.TLS = "implicit"
	case r.TLS:
		rec.TLS = "starttls"
	}
	switch {
	case r.Closed == ClosedByClient && !loggedOut(r.Commands):
		rec.End = recording.EndClient
	case reset:
		rec.End = recording.EndReset
	}
	for _, c := range r.Commands {
		if (c.Name == "SELECT" || c.Name == "EXAMINE") && rec.Mailbox == "" {
			rec.Mailbox, rec.Select = unquoteMailbox(c.Args), c.Name == "SELECT"
		}
	}
	recording.AddTranscript(rec, r.Transcript)
	if recording.CheckText(rec.User) != nil {
		rec.User = ""
	}
	if recording.CheckText(rec.Mailbox) != nil {
		rec.Mailbox, rec.Select = "", false
	}
	rec.Comments = []string{fmt.Sprintf("recorded by fakeimapd: connection %d from %s, %s", r.ID, r.Remote, r.Start.UTC().Format(time.RFC3339))}
	return rec
}

// loggedOut reports a session whose last command is LOGOUT: the server
// ends it, even when the client's close arrived first.
func loggedOut(cmds []CommandRecord) bool {
	return len(cmds) > 0 && cmds[len(cmds)-1].Name == "LOGOUT"
}

// unquoteMailbox is a SELECT argument as a name: a quoted string
// unquoted; a literal's announcement is no name.
func unquoteMailbox(args string) string {
	if strings.HasPrefix(args, "{") {
		return ""
	}
	if s, err := strconv.Unquote(args); err == nil && strings.HasPrefix(args, `"`) {
		return s
	}
	name, _, _ := strings.Cut(args, " ")
	return name
}

// saveRecording writes the connection's recording, once, before its
// record is marked ended: a caller that saw the end finds the file.
func (c *conn) saveRecording(by CloseReason, mode faults.CloseMode) {
	dir := c.srv.cfg.recordDir
	if dir == "" {
		return
	}
	c.recordOnce.Do(func() {
		if tc, ok := c.currentTransport().(*wiretap.Conn); ok {
			tc.FlushWrites() // a response the close cut short
		}
		r := c.rec.snapshot()
		r.Closed = by
		rec := r.Recording(mode == faults.CloseRST)
		if n := c.tap.Omitted(); n > 0 {
			rec.Comments = append(rec.Comments, fmt.Sprintf("%d transcript lines over the limit of %d are missing", n, recordLimits.MaxLines))
		}
		path, err := writeRecording(dir, r, rec)
		if err != nil {
			c.srv.logf("conn %d: recording not written: %v", c.id, err)
			return
		}
		if l := c.srv.cfg.logger; l != nil {
			l.Info("recording", "id", c.id, "file", path, "lines", len(rec.Lines), "end", rec.End)
		}
	})
}

// writeRecording writes rec into a new file of mode 0600 in dir and
// returns its path.
func writeRecording(dir string, r ConnRecord, rec *recording.Recording) (string, error) {
	var b strings.Builder
	if err := recording.Encode(&b, rec); err != nil {
		return "", err
	}
	for i := 1; ; i++ {
		path := filepath.Join(dir, recordingName(r, i))
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) && i < 100 {
			continue
		}
		if err != nil {
			return "", err
		}
		_, err = f.WriteString(b.String())
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return path, err
	}
}

// recordingName names a connection's recording by its start (UTC, to
// the microsecond), its connection number and the process, so that files
// sort by time and two servers writing to one directory do not collide;
// the n-th try adds -n (the file is created exclusively).
func recordingName(r ConnRecord, n int) string {
	name := fmt.Sprintf("%s-p%d-conn%d", r.Start.UTC().Format("20060102T150405.000000Z"), os.Getpid(), r.ID)
	if n > 1 {
		name += "-" + strconv.Itoa(n)
	}
	return name + recording.Ext
}
