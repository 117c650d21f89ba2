package fakeserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/imapprobe/imapprobe/faults"
)

// faultState is one version of the active faults, each with its name and
// fired counter. A fault kept across a change (POST appends to the same
// fault values) keeps both, so connections that loaded an older version
// still count into it.
type faultState struct {
	entries []faultEntry
	set     faults.Set // the entries' faults, for the hooks
}

type faultEntry struct {
	name  string
	fault faults.Fault
	fired *atomic.Int64
}

// namedFault is a fault in a change; an empty name is generated.
type namedFault struct {
	name  string
	fault faults.Fault
}

func newFaultState(entries []faultEntry) *faultState {
	st := &faultState{entries: entries, set: make(faults.Set, len(entries))}
	for i, e := range entries {
		st.set[i] = e.fault
	}
	return st
}

// index is the position of f (the same fault value, not an equal spec) in
// the state, or -1.
func (st *faultState) index(f faults.Fault) int {
	for i, e := range st.entries {
		if sameFault(e.fault, f) {
			return i
		}
	}
	return -1
}

// byName is the position of the fault named name, or -1.
func (st *faultState) byName(name string) int {
	for i, e := range st.entries {
		if e.name == name {
			return i
		}
	}
	return -1
}

func (st *faultState) count(f faults.Fault) {
	if i := st.index(f); i >= 0 {
		st.entries[i].fired.Add(1)
	}
}

func (st *faultState) named() []namedFault {
	out := make([]namedFault, len(st.entries))
	for i, e := range st.entries {
		out[i] = namedFault{e.name, e.fault}
	}
	return out
}

// sameFault compares fault identities without panicking on a fault type
// that is not comparable (the package's faults are all pointers).
func sameFault(a, b faults.Fault) bool {
	t := reflect.TypeOf(a)
	if t == nil || t != reflect.TypeOf(b) || !t.Comparable() {
		return false
	}
	return a == b
}

// validName is what a fault name may be: it goes in a URL path unescaped.
var validName = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
})

// changeNamed replaces the active faults with f(current) under faultsMu,
// so that two concurrent changes both land. If f fails, or a name is bad
// or given twice, nothing changes. A fault without a name gets KIND-N; a
// fault that stays (same name, same fault value) keeps its fired count.
func (s *Server) changeNamed(f func(current []namedFault) ([]namedFault, error)) error {
	s.faultsMu.Lock()
	defer s.faultsMu.Unlock()
	old := s.faults.Load()
	next, err := f(old.named())
	if err != nil {
		return err
	}
	taken := make(map[string]bool, len(next))
	for _, nf := range next {
		if nf.name == "" {
			continue
		}
		if !validName().MatchString(nf.name) {
			return apiError{http.StatusBadRequest, fmt.Sprintf("bad fault name %q: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", abbrev(nf.name))}
		}
		if taken[nf.name] {
			return apiError{http.StatusConflict, fmt.Sprintf("fault name %q is taken: DELETE /faults/%s first, PUT /faults/%s to replace it, or choose another name", nf.name, nf.name, nf.name)}
		}
		taken[nf.name] = true
	}
	entries := make([]faultEntry, len(next))
	for i, nf := range next {
		if nf.name == "" {
			nf.name = s.newFaultName(nf.fault.Kind(), taken)
		}
		e := faultEntry{name: nf.name, fault: nf.fault, fired: new(atomic.Int64)}
		if j := old.byName(nf.name); j >= 0 && sameFault(old.entries[j].fault, nf.fault) {
			e.fired = old.entries[j].fired
		}
		entries[i] = e
	}
	s.faults.Store(newFaultState(entries))
	return nil
}

// newFaultName is KIND-N, N counting up per kind and never reused, so a
// deleted fault's name does not come back for another.
func (s *Server) newFaultName(kind string, taken map[string]bool) string {
	if s.nameSeq == nil {
		s.nameSeq = make(map[string]int)
	}
	for {
		s.nameSeq[kind]++
		name := kind + "-" + strconv.Itoa(s.nameSeq[kind])
		if !taken[name] {
			taken[name] = true
			return name
		}
	}
}

// SetFaults replaces the active faults. It is safe while clients are
// connected: each hook reads the set in force when it runs, so the change
// applies to new connections and to the next hook of existing ones. A
// fault value already active keeps its name and fired count.
func (s *Server) SetFaults(set faults.Set) {
	_ = s.UpdateFaults(func(faults.Set) (faults.Set, error) { return set, nil })
}

// UpdateFaults replaces the active faults with f(current), atomically with
// respect to every other change: two concurrent appends both land. If f
// fails, nothing changes.
func (s *Server) UpdateFaults(f func(current faults.Set) (faults.Set, error)) error {
	return s.changeNamed(func(cur []namedFault) ([]namedFault, error) {
		set := make(faults.Set, len(cur))
		for i, nf := range cur {
			set[i] = nf.fault
		}
		next, err := f(set)
		if err != nil {
			return nil, err
		}
		// A fault value already active keeps its name: match each to an
		// unused current entry holding the same value.
		out := make([]namedFault, len(next))
		used := make([]bool, len(cur))
		for i, g := range next {
			out[i].fault = g
			for j, nf := range cur {
				if !used[j] && sameFault(nf.fault, g) {
					used[j], out[i].name = true, nf.name
					break
				}
			}
		}
		return out, nil
	})
}

// Faults returns the active faults.
func (s *Server) Faults() faults.Set { return append(faults.Set(nil), s.faults.Load().set...) }

// FaultStatus is an active fault, its name and how often it has acted.
type FaultStatus struct {
	// Name names the fault in the control API's /faults/{name}: the one
	// it was given, or KIND-N.
	Name string `json:"name"`
	// Spec is the fault's text form.
	Spec string `json:"spec"`
	// Fault is its JSON form (see package faults).
	Fault json.RawMessage `json:"fault"`
	// Fired counts the times it acted, summed over connections and hooks:
	// once per matching command, greeting, handshake, or capability list
	// it changed, and once per connection for writer faults (throttle,
	// drop:bytes). 0 means it never fired.
	Fired int64 `json:"fired"`
}

// FaultStatuses lists the active faults in order with their names and
// fired counts.
func (s *Server) FaultStatuses() ([]FaultStatus, error) {
	st := s.faults.Load()
	out := make([]FaultStatus, len(st.entries))
	for i, e := range st.entries {
		js, err := faults.Marshal(e.fault)
		if err != nil {
			return nil, err
		}
		out[i] = FaultStatus{Name: e.name, Spec: e.fault.Spec(), Fault: js, Fired: e.fired.Load()}
	}
	return out, nil
}
