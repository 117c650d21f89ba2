package fakeserver

import (
	"encoding/json"
	"reflect"
	"sync/atomic"

	"github.com/imapprobe/imapprobe/faults"
)

// faultState is one version of the active faults with a fired counter for
// each. A fault kept across a change (POST appends to the same fault
// values) keeps its counter, so connections that loaded an older version
// still count into it.
type faultState struct {
	set   faults.Set
	fired []*atomic.Int64 // parallel to set
}

func newFaultState(set faults.Set, old *faultState) *faultState {
	st := &faultState{set: append(faults.Set(nil), set...), fired: make([]*atomic.Int64, len(set))}
	for i, f := range st.set {
		if old != nil {
			if j := old.index(f); j >= 0 {
				st.fired[i] = old.fired[j]
				continue
			}
		}
		st.fired[i] = new(atomic.Int64)
	}
	return st
}

// index is the position of f (the same fault value, not an equal spec) in
// the state, or -1.
func (st *faultState) index(f faults.Fault) int {
	for i, g := range st.set {
		if sameFault(g, f) {
			return i
		}
	}
	return -1
}

func (st *faultState) count(f faults.Fault) {
	if i := st.index(f); i >= 0 {
		st.fired[i].Add(1)
	}
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

// SetFaults replaces the active faults. It is safe while clients are
// connected: each hook reads the set in force when it runs, so the change
// applies to new connections and to the next hook of existing ones. A
// fault value already active keeps its fired count.
func (s *Server) SetFaults(set faults.Set) {
	_ = s.UpdateFaults(func(faults.Set) (faults.Set, error) { return set, nil })
}

// UpdateFaults replaces the active faults with f(current), atomically with
// respect to every other change: two concurrent appends both land. If f
// fails, nothing changes.
func (s *Server) UpdateFaults(f func(current faults.Set) (faults.Set, error)) error {
	s.faultsMu.Lock()
	defer s.faultsMu.Unlock()
	old := s.faults.Load()
	next, err := f(append(faults.Set(nil), old.set...))
	if err != nil {
		return err
	}
	s.faults.Store(newFaultState(next, old))
	return nil
}

// Faults returns the active faults.
func (s *Server) Faults() faults.Set { return append(faults.Set(nil), s.faults.Load().set...) }

// FaultStatus is an active fault and how often it has acted.
type FaultStatus struct {
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

// FaultStatuses lists the active faults in order with their fired counts.
func (s *Server) FaultStatuses() ([]FaultStatus, error) {
	st := s.faults.Load()
	out := make([]FaultStatus, len(st.set))
	for i, f := range st.set {
		js, err := faults.Marshal(f)
		if err != nil {
			return nil, err
		}
		out[i] = FaultStatus{Spec: f.Spec(), Fault: js, Fired: st.fired[i].Load()}
	}
	return out, nil
}
