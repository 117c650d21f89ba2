package faults

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Delay waits before the reply to a command, before the greeting or
// before the TLS handshake, optionally with a random extra of up to Jitter.
//
//	delay:SELECT=2s            before the reply to SELECT (also "UID FETCH", "*")
//	delay:greeting=500ms       before the greeting
//	delay:tls=1s               before the TLS handshake (implicit or STARTTLS)
//	delay:*=200ms,jitter=50ms  before every reply, 200 to 250 ms
type Delay struct {
	// Target is a command target as Reply.Command ("SELECT|EXAMINE",
	// "UID FETCH", "*"), "greeting" or "tls".
	Target   string   `json:"target"`
	Duration Duration `json:"duration"`
	Jitter   Duration `json:"jitter,omitempty"`

	scoped
}

func init() {
	register(new(Delay), plain(parseDelay),
		form{"delay:COMMAND=DURATION[,jitter=DURATION]", "delay:SELECT|EXAMINE=3s"},
		form{"delay:greeting=DURATION[,jitter=DURATION]", "delay:greeting=500ms"},
		form{"delay:tls=DURATION[,jitter=DURATION]", "delay:tls=1s,jitter=100ms"},
	)
}

const (
	targetGreeting = "greeting"
	targetTLS      = "tls"
)

func parseDelay(spec, args string) (Fault, error) {
	const usage = "write delay:TARGET=DURATION[,jitter=DURATION] with TARGET a command, *, greeting or tls"
	name, value, ok := strings.Cut(args, "=")
	if !ok || name == "" {
		return nil, specError(spec, `missing "="`, usage)
	}
	d := &Delay{Target: name}
	dur, opts, _ := strings.Cut(value, ",")
	v, err := parseDuration(spec, dur)
	if err != nil {
		return nil, err
	}
	d.Duration = Duration(v)
	if opts != "" {
		j, ok := strings.CutPrefix(opts, "jitter=")
		if !ok {
			return nil, specError(spec, fmt.Sprintf("unknown delay option %q", opts), "valid: jitter=DURATION")
		}
		if v, err = parseDuration(spec, j); err != nil {
			return nil, err
		}
		d.Jitter = Duration(v)
	}
	return d, nil
}

func parseDuration(spec, s string) (time.Duration, error) {
	v, err := time.ParseDuration(s)
	if err != nil || v <= 0 {
		return 0, specError(spec, fmt.Sprintf("bad duration %q", s), "use a positive Go duration such as 200ms or 2s")
	}
	return v, nil
}

// maxDelay bounds Duration and Jitter: longer waits are no use, and the
// bound keeps Duration+Jitter from overflowing.
const maxDelay = 24 * time.Hour

func (d *Delay) check() *fieldError {
	if t := asciiLower(d.Target); t == targetGreeting || t == targetTLS {
		d.Target = t
	} else {
		if e := canonCommand("target", &d.Target, targetGreeting, targetTLS); e != nil {
			return e
		}
	}
	for _, f := range []struct {
		name string
		v    Duration
		min  time.Duration
	}{{"duration", d.Duration, 1}, {"jitter", d.Jitter, 0}} {
		if v := time.Duration(f.v); v < f.min || v > maxDelay {
			return &fieldError{f.name, fmt.Sprintf("bad %s %s", f.name, v),
				fmt.Sprintf("want more than 0s and at most %s", maxDelay)}
		}
	}
	return nil
}

// Kind returns "delay".
func (d *Delay) Kind() string { return "delay" }

// Spec returns the text form.
func (d *Delay) Spec() string {
	s := "delay:" + d.Target + "=" + time.Duration(d.Duration).String()
	if d.Jitter > 0 {
		s += ",jitter=" + time.Duration(d.Jitter).String()
	}
	return s + scopeSuffix(&d.scope)
}

func (d *Delay) firesBeforeUser() bool { return d.Target == targetGreeting || d.Target == targetTLS }

func (d *Delay) act(target string) Action {
	if d.Target != target {
		return Action{}
	}
	wait := time.Duration(d.Duration)
	if d.Jitter > 0 {
		wait += rand.N(time.Duration(d.Jitter) + 1)
	}
	return Action{Delay: wait}
}

// OnGreeting delays the greeting.
func (d *Delay) OnGreeting(ConnInfo) Action { return d.act(targetGreeting) }

// BeforeHandshake delays the TLS handshake.
func (d *Delay) BeforeHandshake(ConnInfo) Action { return d.act(targetTLS) }

// OnCommand delays the reply to a matching command.
func (d *Delay) OnCommand(_ ConnInfo, cmd Command) Action {
	if d.firesBeforeUser() || !matchCommand(d.Target, cmd) {
		return Action{}
	}
	return d.act(d.Target)
}
