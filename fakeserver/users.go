package fakeserver

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"strings"
	"sync"
)

// DefaultUser is the user seeded when no WithUser option is given.
const DefaultUser = "alice"

type user struct {
	name     string
	password string
	tokens   []string
	// store is the user's mail as every connection shares it, or under
	// WithFreshState(PerConnection) the template that CreateMailbox and
	// Append change and that no session opens; recipe rebuilds it.
	store  *mailStore
	recipe *seedRecipe
}

func (u *user) checkPassword(p string) bool {
	return subtle.ConstantTimeCompare([]byte(p), []byte(u.password)) == 1
}

func (u *user) checkToken(t string) bool {
	ok := false
	for _, want := range u.tokens {
		if subtle.ConstantTimeCompare([]byte(t), []byte(want)) == 1 {
			ok = true
		}
	}
	return ok
}

// userDB holds the seeded users in the order they were added; the first is
// the one PREAUTH logs in and URL names.
type userDB struct {
	mu     sync.RWMutex
	order  []string
	byName map[string]*user
}

func newUserDB() *userDB { return &userDB{byName: make(map[string]*user)} }

func (db *userDB) get(name string) *user {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return db.byName[name]
}

func (db *userDB) first() *user {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if len(db.order) == 0 {
		return nil
	}
	return db.byName[db.order[0]]
}

func (db *userDB) add(u *user) {
	db.mu.Lock()
	defer db.mu.Unlock()
	if _, ok := db.byName[u.name]; !ok {
		db.order = append(db.order, u.name)
	}
	db.byName[u.name] = u
}

func (db *userDB) list() []*user {
	db.mu.RLock()
	defer db.mu.RUnlock()
	out := make([]*user, 0, len(db.order))
	for _, n := range db.order {
		out = append(out, db.byName[n])
	}
	return out
}

// randomSecret returns a fresh random password or token, so that a leaked
// test secret is never a constant someone could grep for or reuse.
func randomSecret() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// holdsSecret reports whether s contains any seeded password or token.
func (db *userDB) holdsSecret(s string) bool {
	db.mu.RLock()
	defer db.mu.RUnlock()
	for _, u := range db.byName {
		if u.password != "" && strings.Contains(s, u.password) {
			return true
		}
		for _, t := range u.tokens {
			if t != "" && strings.Contains(s, t) {
				return true
			}
		}
	}
	return false
}
