package fakeserver

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/imapprobe/imapprobe/faults"
	"github.com/imapprobe/imapprobe/internal/redact"
	"github.com/imapprobe/imapprobe/internal/wiretap"
)

// ConnRecord is what one client connection did, as the server saw it.
// No secret is recorded: see CommandRecord.Args and User.
type ConnRecord struct {
	ID     uint64 `json:"id"`
	Remote string `json:"remote"`
	// Port is "tls" for the implicit-TLS port, else the plain port's mode
	// ("starttls" or "plaintext").
	Port string `json:"port"`
	// User is the user the client named (LOGIN, SASL) or PREAUTH chose.
	// A lone LOGIN argument is not taken for a user (it may be the
	// password), OAUTHBEARER's a= counts only when it names a seeded user,
	// and a name holding a seeded password or token is never recorded.
	User     string          `json:"user,omitempty"`
	TLS      bool            `json:"tls"`
	Start    time.Time       `json:"start"`
	End      time.Time       `json:"end,omitzero"`
	Commands []CommandRecord `json:"commands"`
	Faults   []FiredFault    `json:"faults,omitempty"`
	// Closed says who ended the connection: "client", "server" (after
	// LOGOUT or a backend BYE), "fault", "shutdown", or "" while open.
	Closed CloseReason `json:"closed,omitempty"`
	// Transcript is the IMAP dialogue, above TLS, with credentials masked
	// by internal/redact; C: lines are the client's.
	Transcript []wiretap.Line `json:"transcript,omitempty"`
}

// CommandRecord is one client command: its tag and upper-case name
// ("FETCH" with UID set for "UID FETCH"). A line that is not a known IMAP
// command (a password or SASL response sent out of turn, say) is recorded
// as Name "?" with no tag or arguments, and a tag that is not an IMAP tag
// as "".
type CommandRecord struct {
	Tag  string `json:"tag"`
	Name string `json:"name"`
	UID  bool   `json:"uid,omitempty"`
	// Args are the arguments on the command's first line as the client
	// sent them ("INBOX", "1:* (FLAGS BODY.PEEK[])"), a literal as its
	// {N} announcement, at most 256 bytes (then "..."). No secret is kept:
	// LOGIN's are "[redacted]", AUTHENTICATE's are the mechanism and
	// "[redacted]" for an initial response, and any form of a seeded
	// password or token, or of one the client sent on this connection
	// (learnt: see WithUpstream), is masked as "[redacted]".
	Args string `json:"args,omitempty"`
}

// FiredFault is a fault that acted on the connection, at which hook
// ("accept", "handshake", "tls", "greeting", "capabilities", "command",
// "writer").
type FiredFault struct {
	Hook string `json:"hook"`
	Kind string `json:"kind"`
	Spec string `json:"spec"`
	// Count is how many times it acted at that hook.
	Count int `json:"count"`
}

type connRecord struct {
	mu  sync.Mutex
	r   ConnRecord
	tap *wiretap.Recorder
	// caps: the capability lists the client was sent, which decide the
	// commands refused (capsrefuse.go).
	caps capsSeen
}

// transcriptLimits bound the transcript kept per connection. They set no
// MaxLine or MaxLiteral: the front's framer enforces those on the client
// itself, and the tap only records. A tap that could fail reads would let
// a transcript that mis-frames a literal (content ending in "{99999999}"
// taken for an announcement) drop a client the framer reads correctly.
var transcriptLimits = wiretap.Limits{MaxLines: 500, MaxText: 300}

func (cr *connRecord) snapshot() ConnRecord {
	cr.mu.Lock()
	defer cr.mu.Unlock()
	r := cr.r
	r.Transcript = cr.tap.Lines(0)
	r.Commands = slices.Clone(r.Commands)
	r.Faults = slices.Clone(r.Faults)
	return r
}

func (cr *connRecord) update(f func(*ConnRecord)) {
	cr.mu.Lock()
	defer cr.mu.Unlock()
	f(&cr.r)
}

func (cr *connRecord) fired(hook string, f faults.Fault) {
	spec := f.Spec()
	cr.update(func(r *ConnRecord) {
		for i := range r.Faults {
			if r.Faults[i].Hook == hook && r.Faults[i].Spec == spec {
				r.Faults[i].Count++
				return
			}
		}
		r.Faults = append(r.Faults, FiredFault{Hook: hook, Kind: f.Kind(), Spec: spec, Count: 1})
	})
}

// Connections returns a snapshot of the connection records, oldest first,
// including connections still open.
func (s *Server) Connections() []ConnRecord {
	s.mu.Lock()
	recs := slices.Clone(s.records)
	s.mu.Unlock()
	out := make([]ConnRecord, len(recs))
	for i, r := range recs {
		out[i] = r.snapshot()
	}
	return out
}

// WaitConnections waits until at least n connections are recorded (n
// counts the records kept, at most WithMaxRecords) and every recorded one
// has ended, and returns Connections().
//
// A record is complete once its connection has ended: when the server
// closes first (LOGOUT, a fault), before the client can see the close.
// When the client closes first, the server learns of it only on its next
// read, so a test that closes its client and then asserts on the records
// should call WaitConnections, not Connections. On ctx's end it returns
// the records as they are, with an error saying how many are open.
func (s *Server) WaitConnections(ctx context.Context, n int) ([]ConnRecord, error) {
	const poll = 2 * time.Millisecond
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		recs := s.Connections()
		open := 0
		for _, r := range recs {
			if r.End.IsZero() {
				open++
			}
		}
		if len(recs) >= n && open == 0 {
			return recs, nil
		}
		select {
		case <-ctx.Done():
			return recs, fmt.Errorf("fakeserver: %d connections recorded, %d open, waiting for %d ended: %w", len(recs), open, n, ctx.Err())
		case <-t.C:
		}
	}
}

// ResetConnections forgets the records of connections that have ended.
func (s *Server) ResetConnections() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records = slices.DeleteFunc(s.records, func(r *connRecord) bool {
		return !r.snapshot().End.IsZero()
	})
}

func (s *Server) logf(format string, args ...any) {
	if s.cfg.logger != nil {
		s.cfg.logger.Warn(fmt.Sprintf(format, args...))
	}
}

// logConn logs a finished connection: command names and tags only, never
// arguments, so no secret can reach the log. unfired are the specs of the
// active faults that did not act on it.
func (s *Server) logConn(r ConnRecord, unfired []string) {
	if s.cfg.logger == nil {
		return
	}
	cmds := make([]string, len(r.Commands))
	for i, c := range r.Commands {
		cmds[i] = c.Tag + " " + c.Name
		if c.UID {
			cmds[i] = c.Tag + " UID " + c.Name
		}
	}
	fired := make([]string, len(r.Faults))
	for i, f := range r.Faults {
		fired[i] = fmt.Sprintf("%s@%s×%d", f.Spec, f.Hook, f.Count)
	}
	if s.cfg.logTranscripts {
		for _, l := range r.Transcript {
			s.cfg.logger.Info("transcript", slog.Uint64("id", r.ID), slog.String("line", l.String()))
		}
	}
	s.cfg.logger.Info("connection",
		slog.Uint64("id", r.ID),
		slog.String("remote", r.Remote),
		slog.String("port", r.Port),
		slog.String("user", r.User),
		slog.Bool("tls", r.TLS),
		slog.String("commands", strings.Join(cmds, ", ")),
		slog.String("faults", strings.Join(fired, "; ")),
		slog.String("unfired", strings.Join(unfired, "; ")),
		slog.String("closed", string(r.Closed)),
		slog.Duration("duration", r.End.Sub(r.Start).Round(time.Millisecond)),
	)
}

// wireSecrets lists every seeded secret in the encodings it travels in, for
// the transcript's second line of defence.
func (s *Server) wireSecrets() []string {
	var out []string
	for _, u := range s.users.list() {
		out = append(out, redact.Encodings(u.name, u.password)...)
		for _, t := range u.tokens {
			out = append(out, redact.Encodings(u.name, t)...)
		}
	}
	return out
}
