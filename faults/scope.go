package faults

import "sync"

// Scope narrows when a fault fires: for one user, only on the Nth matching
// occurrence, on the Since-th and every later one (a quota that fills:
// every APPEND after the second refused, with Since 3), or at most Times
// times. The zero value fires always.
//
// A kind never asks its Scope: a hook reports what the fault would do
// (a non-zero Action, a changed list, another writer or configuration),
// and the Set counts that occurrence here and drops the effect when the
// Scope says no. So nth and times count the occurrences that the fault
// would act on, the same way for every kind.
type Scope struct {
	User  string `json:"user,omitempty"`
	Nth   int    `json:"nth,omitempty"`
	Since int    `json:"since,omitempty"`
	Times int    `json:"times,omitempty"`

	mu    sync.Mutex
	seen  int
	fired int
}

// Fire is called each time the fault's trigger matches; it counts the
// occurrence and reports whether the fault acts on it.
func (s *Scope) Fire(user string) bool {
	if s.User != "" && s.User != user {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen++
	if s.Nth > 0 && s.seen != s.Nth || s.seen < s.Since {
		return false
	}
	if s.Times > 0 && s.fired >= s.Times {
		return false
	}
	s.fired++
	return true
}

// scoped gives a fault type its Scope; every kind embeds it.
type scoped struct{ scope Scope }

// Scope returns the fault's scope, which the Set applies.
func (s *scoped) Scope() *Scope { return &s.scope }
