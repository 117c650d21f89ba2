package faults

import "sync"

// Scope narrows when a fault fires: for one user, only on the Nth matching
// occurrence, or at most Times times. The zero value fires always.
type Scope struct {
	User  string `json:"user,omitempty"`
	Nth   int    `json:"nth,omitempty"`
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
	if s.Nth > 0 && s.seen != s.Nth {
		return false
	}
	if s.Times > 0 && s.fired >= s.Times {
		return false
	}
	s.fired++
	return true
}
