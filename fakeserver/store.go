package fakeserver

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// mailDelim is imapmemserver's hierarchy delimiter.
const mailDelim = '/'

// mailStore is one copy of a user's mail: imapmemserver's mailboxes, plus
// what imapmemserver v2.0.0-beta.8 cannot give LIST: the mailbox names (its
// User enumerates them only into an imapserver.ListWriter, whose LIST lines
// we could not then amend), their special-use attributes (it ignores
// CreateOptions.SpecialUse) and their subscriptions. The session keeps the
// index in step with CREATE, DELETE, RENAME and (UN)SUBSCRIBE (list.go).
type mailStore struct {
	mem      *imapmemserver.User
	keywords *userKeywords // their spelling and FLAGS order (keywords.go)

	mu    sync.Mutex
	boxes map[string]*boxMeta
}

type boxMeta struct {
	specialUse []imap.MailboxAttr
	subscribed bool
}

func newMailStore(name, pass string) *mailStore {
	return &mailStore{mem: imapmemserver.NewUser(name, pass), keywords: newUserKeywords(), boxes: make(map[string]*boxMeta)}
}

// create makes a mailbox in imapmemserver and the index.
func (st *mailStore) create(name string, specialUse []imap.MailboxAttr) error {
	if err := st.mem.Create(name, &imap.CreateOptions{SpecialUse: specialUse}); err != nil {
		return err
	}
	st.created(name, specialUse)
	return nil
}

// created adds to the index a mailbox imapmemserver has just created.
func (st *mailStore) created(name string, specialUse []imap.MailboxAttr) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.boxes[strings.TrimRight(name, string(mailDelim))] = &boxMeta{specialUse: slices.Clone(specialUse)}
}

func (st *mailStore) deleted(name string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	delete(st.boxes, name)
}

// renamed moves one mailbox's entry, as imapmemserver moves only that
// mailbox (not its children).
func (st *mailStore) renamed(old, name string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	m := st.boxes[old]
	delete(st.boxes, old)
	if m == nil {
		m = &boxMeta{}
	}
	st.boxes[strings.TrimRight(name, string(mailDelim))] = m
}

func (st *mailStore) subscribe(name string, on bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if m := st.boxes[name]; m != nil {
		m.subscribed = on
	}
}

func (st *mailStore) has(name string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.boxes[name] != nil
}

// snapshot copies the index, for LIST to work on without the lock.
func (st *mailStore) snapshot() map[string]boxMeta {
	st.mu.Lock()
	defer st.mu.Unlock()
	out := make(map[string]boxMeta, len(st.boxes))
	for n, m := range st.boxes {
		out[n] = boxMeta{specialUse: slices.Clone(m.specialUse), subscribed: m.subscribed}
	}
	return out
}

// appendRaw stores a message with internal date t.
func (st *mailStore) appendRaw(mailbox string, raw []byte, t time.Time) error {
	return appendRaw(st.mem, mailbox, raw, t)
}

// seedStep is one step of a user's seed: replayed on a fresh store for
// WithFreshState(PerConnection).
type seedStep func(*mailStore) error

// seedRecipe is how a user's mail was made: the fixed seed, the options'
// mailboxes, then every CreateMailbox and Append, in order.
type seedRecipe struct {
	name, pass string

	mu    sync.Mutex
	steps []seedStep
}

// apply runs step on st and, if it succeeds, records it for later copies.
// Holding the lock keeps the recorded order the order of application.
func (r *seedRecipe) apply(st *mailStore, step seedStep) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := step(st); err != nil {
		return err
	}
	r.steps = append(r.steps, step)
	return nil
}

// fresh builds a new store from the recipe.
func (r *seedRecipe) fresh() (*mailStore, error) {
	r.mu.Lock()
	steps := slices.Clone(r.steps)
	r.mu.Unlock()
	st := newMailStore(r.name, r.pass)
	for _, step := range steps {
		if err := step(st); err != nil {
			return nil, fmt.Errorf("fakeserver: reseeding %s: %w", r.name, err)
		}
	}
	return st, nil
}
