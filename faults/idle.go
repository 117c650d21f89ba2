package faults

import (
	"fmt"
	"strings"
	"time"
)

// Idle cuts a connection that stays in IDLE too long, as a NAT or a
// firewall forgets a quiet TCP flow:
//
//	idle:drop=30s        a FIN 30 s into an IDLE
//	idle:drop=29m,rst    a reset instead
//
// A client that ends IDLE (DONE) before then is not cut; nth and times
// count IDLE commands.
type Idle struct {
	Drop Duration `json:"drop"`
	RST  bool     `json:"rst,omitempty"`

	scoped
}

func init() {
	register(new(Idle), plain(parseIdle), form{"idle:drop=DURATION[,rst]", "idle:drop=30s"})
}

func parseIdle(spec, args string) (Fault, error) {
	const usage = "write idle:drop=DURATION[,rst], e.g. idle:drop=30s"
	args, opt, hasOpt := strings.Cut(args, ",")
	key, val, ok := strings.Cut(args, "=")
	if !ok || asciiLower(key) != "drop" {
		return nil, specError(spec, fmt.Sprintf("unknown idle variant %q", key), usage)
	}
	v, err := parseDuration(spec, val)
	if err != nil {
		return nil, err
	}
	i := &Idle{Drop: Duration(v)}
	if hasOpt {
		if !strings.EqualFold(opt, "rst") {
			return nil, specError(spec, fmt.Sprintf("unknown idle option %q", opt), "valid: rst")
		}
		i.RST = true
	}
	return i, nil
}

func (i *Idle) check() *fieldError {
	if v := time.Duration(i.Drop); v <= 0 || v > maxDelay {
		return &fieldError{"drop", fmt.Sprintf("bad drop %s", v), fmt.Sprintf("want more than 0s and at most %s", maxDelay)}
	}
	return nil
}

// Kind returns "idle".
func (i *Idle) Kind() string { return "idle" }

// Spec returns the text form.
func (i *Idle) Spec() string {
	s := "idle:drop=" + time.Duration(i.Drop).String()
	if i.RST {
		s += ",rst"
	}
	return s + scopeSuffix(&i.scope)
}

// OnCommand arms the cut when IDLE arrives.
func (i *Idle) OnCommand(_ ConnInfo, cmd Command) Action {
	if cmd.Name != "IDLE" {
		return Action{}
	}
	mode := CloseFIN
	if i.RST {
		mode = CloseRST
	}
	return Action{Changes: []Change{ChangeIdleDrop{After: time.Duration(i.Drop), Close: mode}}}
}
