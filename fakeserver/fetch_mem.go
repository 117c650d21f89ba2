package fakeserver

import (
	"reflect"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// FETCH reads the message bytes imapmemserver holds (no second copy of any
// message), but imapmemserver exposes neither them nor a way to write part
// of a FETCH response for a message. So the fake views imapmemserver's
// selected mailbox through the mirror types below: the same fields, in the
// same order, with the same types, as in go-imap v2.0.0-beta.8
// (imapmemserver/session.go, mailbox.go, message.go).
//
// memLayoutOK checks, once, that every mirror has exactly the layout of the
// type it mirrors (field names, offsets, sizes and types, recursively). If
// an upgrade of go-imap changes any of them, the fake never converts a
// pointer and every FETCH goes to imapmemserver as before (correct, only
// slower), and TestFetchMirrorLayout fails to say the mirrors need updating.

// memUserSession mirrors imapmemserver.UserSession.
type memUserSession struct {
	user    *imapmemserver.User
	mailbox *imapmemserver.MailboxView // nil unless a mailbox is selected
}

// memMailboxView mirrors imapmemserver.MailboxView.
type memMailboxView struct {
	Mailbox   *imapmemserver.Mailbox
	tracker   *imapserver.SessionTracker
	searchRes imap.UIDSet
}

// memMailbox mirrors imapmemserver.Mailbox. mutex guards l, uidNext and
// every message's flags.
type memMailbox struct {
	tracker     *imapserver.MailboxTracker
	uidValidity uint32
	mutex       sync.Mutex
	name        string
	subscribed  bool
	specialUse  []imap.MailboxAttr
	l           []*memMessage
	uidNext     imap.UID
}

// memMessage mirrors imapmemserver's message. uid, buf and t never change
// once the message is in a mailbox.
type memMessage struct {
	uid   imap.UID
	buf   []byte
	t     time.Time
	flags map[imap.Flag]struct{}
}

// memLayoutOK reports whether every mirror matches the imapmemserver type it
// mirrors.
var memLayoutOK = sync.OnceValue(func() bool {
	return sameLayout(reflect.TypeFor[memUserSession](), reflect.TypeFor[imapmemserver.UserSession]()) &&
		sameLayout(reflect.TypeFor[memMailboxView](), reflect.TypeFor[imapmemserver.MailboxView]()) &&
		sameLayout(reflect.TypeFor[memMailbox](), reflect.TypeFor[imapmemserver.Mailbox]())
})

// sameLayout reports whether ours can stand for theirs in memory: the same
// type, or the same kind and size with, for structs, the same field names
// and offsets and, for pointers, slices and maps, the same layout below.
// Any other type (a basic type, sync.Mutex, time.Time, ...) matches only
// itself.
func sameLayout(ours, theirs reflect.Type) bool {
	if ours == theirs {
		return true
	}
	if ours.Kind() != theirs.Kind() || ours.Size() != theirs.Size() || ours.Align() != theirs.Align() {
		return false
	}
	switch ours.Kind() {
	case reflect.Pointer, reflect.Slice:
		return sameLayout(ours.Elem(), theirs.Elem())
	case reflect.Map:
		return sameLayout(ours.Key(), theirs.Key()) && sameLayout(ours.Elem(), theirs.Elem())
	case reflect.Struct:
		if ours.NumField() != theirs.NumField() {
			return false
		}
		for i := range ours.NumField() {
			a, b := ours.Field(i), theirs.Field(i)
			if a.Name != b.Name || a.Offset != b.Offset || !sameLayout(a.Type, b.Type) {
				return false
			}
		}
		return true
	}
	return false
}

// selectedView returns the mailbox view the session has selected, seen
// through the mirrors, or nil when none is selected or the mirrors do not
// match. Only the session's own goroutine changes which mailbox is
// selected, and FETCH runs on it.
func selectedView(us *imapmemserver.UserSession) *memMailboxView {
	if us == nil || !memLayoutOK() {
		return nil
	}
	mv := (*memUserSession)(unsafe.Pointer(us)).mailbox
	if mv == nil || mv.Mailbox == nil {
		return nil
	}
	return (*memMailboxView)(unsafe.Pointer(mv))
}

func (v *memMailboxView) mailbox() *memMailbox {
	return (*memMailbox)(unsafe.Pointer(v.Mailbox))
}

// forEachLocked calls f for each message of numSet, in mailbox order, with
// the message's unencoded sequence number, as imapmemserver's
// MailboxView.forEachLocked does. mb.mutex must be held. Like
// imapmemserver, it resolves "*" in numSet in place.
func (v *memMailboxView) forEachLocked(mb *memMailbox, numSet imap.NumSet, f func(seqNum uint32, msg *memMessage) error) error {
	numSet = v.staticNumSetLocked(mb, numSet)
	for i, msg := range mb.l {
		seqNum := uint32(i) + 1
		var contains bool
		switch numSet := numSet.(type) {
		case imap.SeqSet:
			enc := v.tracker.EncodeSeqNum(seqNum)
			contains = enc != 0 && numSet.Contains(enc)
		case imap.UIDSet:
			contains = numSet.Contains(msg.uid)
		}
		if !contains {
			continue
		}
		if err := f(seqNum, msg); err != nil {
			return err
		}
	}
	return nil
}

// staticNumSetLocked resolves "*" and the SEARCHRES marker "$" as
// imapmemserver's MailboxView.staticNumSet does.
func (v *memMailboxView) staticNumSetLocked(mb *memMailbox, numSet imap.NumSet) imap.NumSet {
	if imap.IsSearchRes(numSet) {
		return v.searchRes
	}
	switch numSet := numSet.(type) {
	case imap.SeqSet:
		top := uint32(len(mb.l))
		for i := range numSet {
			r := &numSet[i]
			staticNumRange(&r.Start, &r.Stop, top)
		}
	case imap.UIDSet:
		top := uint32(mb.uidNext) - 1
		for i := range numSet {
			r := &numSet[i]
			staticNumRange((*uint32)(&r.Start), (*uint32)(&r.Stop), top)
		}
	}
	return numSet
}

func staticNumRange(start, stop *uint32, top uint32) {
	dyn := false
	if *start == 0 {
		*start = top
		dyn = true
	}
	if *stop == 0 {
		*stop = top
		dyn = true
	}
	if dyn && *start > *stop {
		*start, *stop = *stop, *start
	}
}

// flagList lists the message's flags as imapmemserver does (in map order).
// The mailbox's mutex must be held.
func (msg *memMessage) flagList() []imap.Flag {
	var flags []imap.Flag
	for flag := range msg.flags {
		flags = append(flags, flag)
	}
	return flags
}

// canonicalFlag is imapmemserver's flag key: the flag in lower case.
func canonicalFlag(flag imap.Flag) imap.Flag {
	return imap.Flag(strings.ToLower(string(flag)))
}
