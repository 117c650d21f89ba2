package scenarios

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/imapprobe/imapprobe/prober"
	"github.com/imapprobe/imapprobe/recording"
	"github.com/imapprobe/imapprobe/replay"
)

// RecordingExt is the file extension FromRecordings loads.
const RecordingExt = recording.Ext

// FromRecordings loads every *.rec file in dir (see package recording) as
// a scenario named after the file: a replay of the recording, probed as
// the recording says, must give the verdict its step lines record. An
// error names the file.
func FromRecordings(dir string) ([]Scenario, error) {
	return fromFS(os.DirFS(dir), ".", dir)
}

// FromRecording makes a scenario of one recording.
func FromRecording(name string, rec *recording.Recording) Scenario {
	step, code := rec.Failure()
	w := Want{Step: step, Code: prober.Code(code)}
	if code == "" {
		w.Code = OK
	}
	for _, c := range rec.Warnings() {
		w.Warnings = append(w.Warnings, prober.Code(c))
	}
	return Scenario{
		Name:      name,
		Situation: "a recorded session, replayed",
		Server:    Server{Mode: rec.TLS},
		Probe: Probe{TLS: rec.TLS, Auth: rec.Auth, Mailbox: rec.Mailbox, Select: rec.Select,
			StepTimeout: rec.StepTimeout, Slow: rec.Slow, AllowPlaintextAuth: rec.TLS == "none"},
		Want:      w,
		Recording: rec,
	}
}

// runRecording serves s.Recording with its delays and probes it.
func runRecording(ctx context.Context, s Scenario) (Result, error) {
	rs, err := replay.Start(s.Recording, replay.WithTiming(true))
	if err != nil {
		return Result{}, fmt.Errorf("scenario %s: %w", s.Name, err)
	}
	defer rs.Close()
	_, portStr, _ := net.SplitHostPort(rs.Addr())
	port, _ := strconv.Atoi(portStr)
	p := s.Probe
	target := prober.Target{Host: "127.0.0.1", Port: port, TLS: prober.TLSMode(s.Recording.TLS),
		User: s.Recording.User, Mailbox: p.Mailbox}
	opts := prober.Options{
		Auth: p.Auth, Select: p.Select, RootCAs: rs.CAPool(), Password: secret(),
		StepTimeout: orDuration(p.StepTimeout, 5*time.Second), Timeout: 20 * time.Second,
		Slow: orDuration(p.Slow, 2*time.Second), AllowPlaintextAuth: p.AllowPlaintextAuth,
	}
	start := time.Now()
	rep := prober.Probe(ctx, target, opts)
	res := Result{Scenario: s, Elapsed: time.Since(start), Report: rep, Got: OutcomeOf(rep)}
	res.Match = res.Got.SkippedAfter && equalWant(res.Got.Want, s.Want)
	return res, nil
}
