package prober

import "sync"

// Step names, in probe order.
const (
	StepResolve    = "resolve"
	StepConnect    = "connect"
	StepTLS        = "tls"
	StepGreeting   = "greeting"
	StepCapability = "capability"
	StepStartTLS   = "starttls"
	StepAuth       = "auth"
	StepList       = "list"
	StepSelect     = "select"
	StepFetch      = "fetch"
	StepLogout     = "logout"
)

// stepFunc does one step's work on in: it fills s and returns the session
// for the next step, and false to stop.
type stepFunc func(p *probe, in session, s *Step) (session, bool)

// stepDef is one row of the plan.
type stepDef struct {
	name string
	area string // the prefix of its diagnosis codes
	exit int    // the exit code of its area's diagnoses
	// generic are the generic diagnoses it can raise (see genericInfo)
	generic []string
	run     stepFunc
	only    TLSMode // set: the step runs only in this TLS mode
}

var (
	// quiet steps send no IMAP command of their own
	quiet = []string{"timeout", "slow"}
	// talking steps send one and read its answer
	talking = []string{"timeout", "dropped", "bad", "malformed", "slow"}
)

// plan is the only registry of steps, in probe order: the catalog, Steps
// and every run read it. It is a function rather than a variable because
// the catalog is built from it and the steps read the catalog, which Go's
// package initialisation would refuse as a cycle.
func plan() []stepDef {
	return []stepDef{
		{StepResolve, "dns", ExitNetwork, quiet, (*probe).resolve, ""},
		{StepConnect, "tcp", ExitNetwork, quiet, (*probe).connect, ""},
		{StepTLS, "tls", ExitTLS, quiet, (*probe).implicitTLS, TLSImplicit},
		{StepGreeting, "greeting", ExitSession, quiet, (*probe).greeting, ""},
		{StepCapability, "capability", ExitSession, talking, (*probe).capability, ""},
		{StepStartTLS, "starttls", ExitSession, talking, (*probe).startTLS, TLSStartTLS},
		{StepAuth, "auth", ExitAuth, talking, (*probe).auth, ""},
		{StepList, "list", ExitMailbox, talking, (*probe).list, ""},
		{StepSelect, "mailbox", ExitMailbox, talking, (*probe).selectMailbox, ""},
		{StepFetch, "fetch", ExitFetch, talking, (*probe).fetch, ""},
		{StepLogout, "logout", ExitMisbehaved, talking, (*probe).logout, ""},
	}
}

// thePlan is plan, built once for every run.
var thePlan = sync.OnceValue(plan)

// Steps lists the step names in probe order.
var Steps = stepNames()

func stepNames() []string {
	var names []string
	for _, st := range plan() {
		names = append(names, st.name)
	}
	return names
}
