package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"

	"github.com/imapprobe/imapprobe/recording"
	"github.com/imapprobe/imapprobe/replay"
	"github.com/imapprobe/imapprobe/scenarios"
)

// replayOptions are --replay and its companions.
type replayOptions struct {
	path         string
	timing       bool
	recordedUser bool
	rec          *recording.Recording
}

// replayExclusive are the flags that shape the fake, which a replay is not.
var replayExclusive = []string{"fault", "faults-file", "scenario", "control", "control-token-file", "persona",
	"mode", "tls-listen", "user", "token", "users-file", "tokens-file", "credentials-out", "messages",
	"restricted-mailbox", "fresh-state", "allow-plaintext-auth", "seed", "upstream", "upstream-ca", "upstream-insecure", "record"}

// check reads the recording, and refuses the fake's own flags beside it.
func (r *replayOptions) check(fs *flag.FlagSet) error {
	set := setFlags(fs)
	if r.path == "" {
		for _, name := range []string{"replay-timing", "replay-recorded-user"} {
			if set[name] && !recordedScenario(fs) {
				return fmt.Errorf("--%s needs --replay FILE (or --scenario NAME of a recording)", name)
			}
		}
		return nil
	}
	if err := refuseFakeFlags(set, "--replay, which serves the recording as it is"); err != nil {
		return err
	}
	f, err := os.Open(r.path)
	if err != nil {
		return fmt.Errorf("--replay: %v", err)
	}
	defer f.Close()
	if r.rec, err = recording.Decode(f); err != nil {
		return fmt.Errorf("--replay %s: %v", r.path, err)
	}
	return nil
}

func setFlags(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// refuseFakeFlags refuses the flags that shape the fake beside what,
// which serves a recording.
func refuseFakeFlags(set map[string]bool, what string) error {
	for _, name := range replayExclusive {
		if set[name] {
			return fmt.Errorf("--%s does not apply to %s", name, what)
		}
	}
	return nil
}

// recordedScenario reports whether --scenario names one of the
// catalog's recordings.
func recordedScenario(fs *flag.FlagSet) bool {
	f := fs.Lookup("scenario")
	if f == nil || f.Value.String() == "" {
		return false
	}
	sc, err := scenarios.Find(f.Value.String())
	return err == nil && sc.Recording != nil
}

// serveReplay serves the recording until ctx ends.
func serveReplay(ctx context.Context, o *options, logger *slog.Logger, stdout, stderr io.Writer) error {
	opts := []replay.Option{
		replay.WithTiming(o.replay.timing),
		replay.WithRecordedUserOnly(o.replay.recordedUser),
		replay.WithLogf(func(format string, args ...any) { logger.Info(fmt.Sprintf(format, args...)) }),
	}
	if o.listen != "" {
		opts = append(opts, replay.WithListen(o.listen))
	}
	srv, err := replay.Start(o.replay.rec, opts...)
	if err != nil {
		return usageError{err}
	}
	defer srv.Close()
	if o.caOut != "" {
		if err := writeFileFresh(o.caOut, srv.CACertPEM(), 0o644); err != nil {
			return fmt.Errorf("--ca-out: %v", err)
		}
	}
	rec := o.replay.rec
	u := url.URL{Scheme: "imap", Host: srv.Addr(), Path: "/" + rec.Mailbox}
	if rec.TLS == "implicit" {
		u.Scheme = "imaps"
	}
	if rec.User != "" {
		u.User = url.User(rec.User)
	}
	step, code := rec.Failure()
	var probe, sideOnly, name string
	if sc := o.scenario; sc != nil {
		var cleanup func()
		probe, sideOnly, cleanup, err = replayProbe(sc, srv.Addr(), srv.CACertPEM(), stderr)
		defer cleanup()
		if err != nil {
			return err
		}
		name = sc.Name
	}
	line, _ := json.Marshal(struct {
		Addr          string `json:"addr"`
		URL           string `json:"url"`
		TLS           string `json:"tls"`
		Replay        string `json:"replay,omitempty"`
		Scenario      string `json:"scenario,omitempty"`
		Step          string `json:"recorded_step,omitempty"`
		Code          string `json:"recorded_code,omitempty"`
		ProbeCommand  string `json:"probe_command,omitempty"`
		ProbeSideOnly string `json:"probe_side_only,omitempty"`
	}{srv.Addr(), u.String(), rec.TLS, o.replay.path, name, step, code, probe, sideOnly})
	fmt.Fprintf(stdout, "%s\n", line)
	logger.Info("fakeimapd replaying", "file", o.replay.path, "addr", srv.Addr(), "tls", rec.TLS, "recorded_code", code)
	<-ctx.Done()
	logger.Info("shutting down")
	return nil // the deferred Close ends every connection
}
