package fakeserver

import (
	"fmt"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/imapprobe/imapprobe/faults"
)

// State faults (faults/state.go) change the connection's user's
// mailboxes through imapmemserver itself, as another session would: its
// trackers then tell every session that has the mailbox selected, in its
// next command's answer or at once in IDLE, with the untagged EXPUNGE,
// EXISTS and FETCH a real server sends. Each change has a file:
// state_uidvalidity.go, state_rename.go, state_messages.go (expunge, new
// mail, flags) and state_idle.go.

// changeState carries out the changes a command's faults asked for. A
// change without a delay is made before the command goes to the backend,
// so the command's answer already reflects it; a delayed one (after=, or
// on IDLE) runs on its own once the delay has passed, unless the
// connection has closed by then.
func (c *conn) changeState(tag string, changes []faults.Change) {
	for _, ch := range changes {
		if d, ok := ch.(faults.ChangeIdleDrop); ok {
			go c.idleDrop(tag, d)
			continue
		}
		if after := changeDelay(ch); after > 0 {
			go func() {
				if c.sleep(after) {
					c.applyChange(ch)
				}
			}()
			continue
		}
		c.applyChange(ch)
	}
}

// changeDelay is how long ch waits after its command.
func changeDelay(ch faults.Change) time.Duration {
	switch ch := ch.(type) {
	case faults.ChangeExpunge:
		return ch.After
	case faults.ChangeAppend:
		return ch.After
	case faults.ChangeFlags:
		return ch.After
	}
	return 0
}

// applyChange makes one change in the mail the connection sees: the
// user's, or under WithFreshState(PerConnection) the connection's own
// copy, which a change asked for before the login made it (a fault on
// LOGIN, say) waits for. The outcome is noted in the transcript and the
// server log: a change that cannot be made (no such mailbox, no user
// yet) changes nothing.
func (c *conn) applyChange(ch faults.Change) {
	name := c.info().User
	u := c.srv.users.get(name)
	if u == nil {
		c.changeNotMade(fmt.Errorf("no user logged in (%q)", name))
		return
	}
	c.mu.Lock()
	st := c.store
	if st == nil && c.srv.backend.fresh == PerConnection {
		c.deferred = append(c.deferred, ch)
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	if st == nil {
		st = u.store
	}
	c.makeChange(st, name, ch)
}

// bound is told by the backend the store a login opened; the changes
// waiting for it are made there.
func (c *conn) bound(st *mailStore) {
	c.mu.Lock()
	c.store = st
	waiting := c.deferred
	c.deferred = nil
	name := c.user
	c.mu.Unlock()
	for _, ch := range waiting {
		c.makeChange(st, name, ch)
	}
}

// boundStore is the store the connection's login opened, or nil.
func (c *conn) boundStore() *mailStore {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.store
}

func (c *conn) makeChange(st *mailStore, user string, ch faults.Change) {
	var what string
	var err error
	switch ch := ch.(type) {
	case faults.ChangeUIDValidity:
		what, err = newUIDValidity(st.mem, ch.Mailbox)
	case faults.ChangeRename:
		what, err = renameMailbox(st, ch.From, ch.To)
	case faults.ChangeExpunge:
		what, err = expungeMessages(st.mem, ch)
	case faults.ChangeAppend:
		what, err = deliverMessages(st.mem, user, ch)
	case faults.ChangeFlags:
		what, err = storeFlags(st, ch)
	default:
		err = fmt.Errorf("unknown change %T", ch)
	}
	if err != nil {
		c.changeNotMade(err)
		return
	}
	c.tap.Note("state change: %s", what)
}

func (c *conn) changeNotMade(err error) {
	c.tap.Note("state change not made: %v", err)
	c.srv.logf("conn %d: state change not made: %v", c.id, err)
}

// sideSession is another session of the user with mailbox selected, for a
// change made as a client would make it. The caller closes it.
func sideSession(u *imapmemserver.User, mailbox string) (*imapmemserver.UserSession, *imap.SelectData, error) {
	s := imapmemserver.NewUserSession(u)
	data, err := s.Select(mailbox, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("select %q: %w", mailbox, err)
	}
	return s, data, nil
}

// uidsOf lists the UIDs of every message of the selected mailbox, in
// sequence order.
func uidsOf(s *imapmemserver.UserSession) ([]imap.UID, error) {
	data, err := s.Search(imapserver.NumKindUID, &imap.SearchCriteria{}, &imap.SearchOptions{})
	if err != nil {
		return nil, err
	}
	set, _ := data.All.(imap.UIDSet)
	uids, _ := set.Nums()
	return uids, nil
}

// pick is the UIDs a change acts on: count from the start or the end, or
// all.
func pick(uids []imap.UID, messages string, count int) imap.UIDSet {
	switch {
	case messages == faults.MessagesAll:
	case messages == faults.MessagesLast:
		uids = uids[max(0, len(uids)-count):]
	default:
		uids = uids[:min(len(uids), count)]
	}
	return imap.UIDSetNum(uids...)
}
