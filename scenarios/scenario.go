// Package scenarios is the verified diagnosis matrix: named, realistic
// failure situations, each as fake-server faults plus probe settings plus the
// diagnosis the prober must give. Tests, `imapprobe demo`, `fakeimapd
// --scenario` and docs/diagnoses.md all read this one catalog.
package scenarios

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/imapprobe/imapprobe/prober"
	"github.com/imapprobe/imapprobe/recording"
)

// Scenario is one failure situation and the verdict it must produce.
type Scenario struct {
	Name string `json:"name"`
	// Situation is the real-world story, in one line.
	Situation string `json:"situation"`
	// Faults are fault specs (see package faults) the fake server runs with.
	Faults []string `json:"faults,omitempty"`
	Server Server   `json:"server"`
	Probe  Probe    `json:"probe"`
	Want   Want     `json:"want"`
	// Recording, when set, is served by a replay (package replay) instead
	// of the fake server: see FromRecordings.
	Recording *recording.Recording `json:"-"`
}

// Server is how the fake server is set up.
type Server struct {
	// Mode is "starttls" (the default), "implicit" or "plaintext".
	Mode string `json:"mode,omitempty"`
	// AllowPlaintextAuth lets LOGIN work before TLS.
	AllowPlaintextAuth bool `json:"allow_plaintext_auth,omitempty"`
	// RestrictedMailbox names a mailbox every user has that refuses
	// SELECT with NO [NOPERM] (fakeserver.WithRestrictedMailbox).
	RestrictedMailbox string `json:"restricted_mailbox,omitempty"`
}

// ModeName is the fake-server mode, "starttls" when unset.
func (s Server) ModeName() string { return orString(s.Mode, "starttls") }

// Probe is how the prober is pointed at the fake server.
type Probe struct {
	// TLS is "implicit", "starttls" or "none"; empty follows the server mode.
	TLS string `json:"tls,omitempty"`
	// Port picks the fake's "tls" or "plain" listener; empty follows TLS.
	Port string `json:"port,omitempty"`
	// Host replaces 127.0.0.1 (e.g. a name under .invalid).
	Host string `json:"host,omitempty"`
	// ClosedPort dials a loopback port nothing listens on.
	ClosedPort bool   `json:"closed_port,omitempty"`
	Auth       string `json:"auth,omitempty"`
	Mailbox    string `json:"mailbox,omitempty"`
	// WrongSecret sends a password or token the server does not know.
	WrongSecret bool `json:"wrong_secret,omitempty"`
	// UntrustedCA leaves the fake's CA out of the trusted roots.
	UntrustedCA        bool          `json:"untrusted_ca,omitempty"`
	InsecureSkipVerify bool          `json:"insecure_skip_verify,omitempty"`
	AllowPlaintextAuth bool          `json:"allow_plaintext_auth,omitempty"`
	Select             bool          `json:"select,omitempty"`
	StepTimeout        time.Duration `json:"step_timeout_ns,omitempty"`
	Slow               time.Duration `json:"slow_ns,omitempty"`
	// NoCredentials sends neither password nor token.
	NoCredentials bool   `json:"no_credentials,omitempty"`
	QuitAfter     string `json:"quit_after,omitempty"`
	AllowWeakTLS  bool   `json:"allow_weak_tls,omitempty"`
}

// Want is the verdict: the failing step and code ("" and "ok" for a healthy
// probe), and the warnings, in step order.
type Want struct {
	Step     string        `json:"step,omitempty"`
	Code     prober.Code   `json:"code"`
	Warnings []prober.Code `json:"warnings,omitempty"`
}

// OK is Want.Code for a probe that must pass.
const OK = "ok"

// Timings shared by the timeout and slow scenarios: short enough that the
// whole matrix runs in seconds, far enough apart to be unambiguous.
const (
	shortStep = 400 * time.Millisecond
	stall     = 1500 * time.Millisecond
	slowMark  = 250 * time.Millisecond // under slowDelay and the throttled FETCH, over any other step on a loaded machine
	slowDelay = "350ms"
	// slowLinkMark is slow-link's: between its throttled AUTHENTICATE and FETCH.
	slowLinkMark = 500 * time.Millisecond
)

// All returns the catalog in the order a probe walks: clean passes first
// (the healthy controls, and faults a probe must shrug off), then by the
// step the verdict is about, then by name. Callers may modify the result.
func All() []Scenario {
	out := append([]Scenario(nil), catalog...)
	out = append(out, stateScenarios...)
	out = append(out, stepFaults()...)
	sort.SliceStable(out, func(i, j int) bool {
		si, sj := stepOrder(out[i].Want), stepOrder(out[j].Want)
		if si != sj {
			return si < sj
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// stepOrder ranks a verdict by the step it names: the failing step, else
// the step of its first warning; -1 for a clean pass.
func stepOrder(w Want) int {
	step := w.Step
	if step == "" && len(w.Warnings) > 0 {
		if c, ok := prober.Lookup(w.Warnings[0]); ok {
			step = c.Step
		}
	}
	return slices.Index(prober.Steps, step)
}

// Find returns the scenario with the given name.
func Find(name string) (Scenario, error) {
	all := All()
	for _, s := range all {
		if s.Name == name {
			return s, nil
		}
	}
	names := make([]string, len(all))
	for i, s := range all {
		names[i] = s.Name
	}
	return Scenario{}, fmt.Errorf("unknown scenario %q; see imapprobe demo --list (e.g. %s)", name, strings.Join(names[:min(4, len(names))], ", "))
}

// commandSteps are the steps that send one IMAP command, and the command the
// faults target, in the order the prober walks them.
var commandSteps = []struct {
	step, command, situation string
	probe                    Probe
	// also are faults that make the prober send the command at all
	also []string
}{
	// a greeting without [CAPABILITY] (as Gmail's): the prober must ask
	{prober.StepCapability, "CAPABILITY", "the server chokes on CAPABILITY", Probe{}, []string{"greeting:text=* OK IMAP server ready"}},
	{prober.StepStartTLS, "STARTTLS", "the server chokes on STARTTLS", Probe{}, nil},
	{prober.StepAuth, "AUTHENTICATE", "the server chokes on AUTHENTICATE", Probe{Auth: "plain"}, nil},
	{prober.StepList, "LIST", "the server chokes on LIST", Probe{}, nil},
	{prober.StepSelect, "EXAMINE", "the server chokes on EXAMINE", Probe{}, nil},
	{prober.StepFetch, "FETCH", "the server chokes on FETCH", Probe{}, nil},
	{prober.StepLogout, "LOGOUT", "the server chokes on LOGOUT", Probe{}, nil},
}

// stepCode is step's generic code of kind; the catalog must have it.
func stepCode(step, kind string) prober.Code {
	c, ok := prober.StepCode(step, kind)
	if !ok {
		panic("scenarios: the prober's catalog has no " + kind + " code for step " + step)
	}
	return c
}

// stepFaults derives, for every command step, the four generic failures
// (timeout, dropped, bad, malformed) and the slow warning.
func stepFaults() []Scenario {
	var out []Scenario
	for _, cs := range commandSteps {
		with := func(p Probe) Probe {
			p.Auth = cs.probe.Auth
			return p
		}
		faults := func(f string) []string { return append([]string{f}, cs.also...) }
		out = append(out,
			Scenario{
				Name:      cs.step + "-timeout",
				Situation: "the server accepts " + cs.command + " and never answers",
				Faults:    faults(fmt.Sprintf("delay:%s=%s", cs.command, stall)),
				Probe:     with(Probe{StepTimeout: shortStep}),
				Want:      Want{Step: cs.step, Code: stepCode(cs.step, "timeout")},
			},
			Scenario{
				Name:      cs.step + "-dropped",
				Situation: "the connection is cut when " + cs.command + " is sent",
				Faults:    faults("drop:" + cs.command),
				Probe:     with(Probe{}),
				Want:      Want{Step: cs.step, Code: stepCode(cs.step, "dropped")},
			},
			Scenario{
				Name:      cs.step + "-bad",
				Situation: "the server does not understand " + cs.command,
				Faults:    faults("reply:" + cs.command + "=BAD unknown command"),
				Probe:     with(Probe{}),
				Want:      Want{Step: cs.step, Code: stepCode(cs.step, "bad")},
			},
			Scenario{
				Name:      cs.step + "-slow",
				Situation: "the server takes its time over " + cs.command,
				Faults:    faults(fmt.Sprintf("delay:%s=%s", cs.command, slowDelay)),
				Probe:     with(Probe{Slow: slowMark}),
				Want:      Want{Code: OK, Warnings: slowWarnings(cs.step)},
			},
		)
		out = append(out, Scenario{
			Name:      cs.step + "-malformed",
			Situation: "a hostile server answers " + cs.command + " with a line that never ends",
			Faults:    faults("garbage:" + cs.command + "=endless"),
			Probe:     with(Probe{}),
			Want:      Want{Step: cs.step, Code: stepCode(cs.step, "malformed")},
		})
	}
	return out
}

// slowWarnings: STARTTLS repeats CAPABILITY inside its own step, so a slow
// CAPABILITY makes both steps slow.
func slowWarnings(step string) []prober.Code {
	if step == prober.StepCapability {
		return []prober.Code{prober.CodeCapabilitySlow, prober.CodeStarttlsSlow}
	}
	return []prober.Code{stepCode(step, "slow")}
}
