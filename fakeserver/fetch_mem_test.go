//lint:file-ignore U1000 the types declared here exist for their layout, which only reflect reads

package fakeserver

import (
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// TestFetchMirrorLayout: the mirrors match this go-imap's imapmemserver,
// so FETCH of whole-message sections is written from the stored bytes. If
// this fails after a go-imap upgrade, update fetch_mem.go's mirrors to the
// new imapmemserver (until then every FETCH goes to imapmemserver).
func TestFetchMirrorLayout(t *testing.T) {
	pairs := []struct {
		name         string
		ours, theirs reflect.Type
	}{
		{"UserSession", reflect.TypeFor[memUserSession](), reflect.TypeFor[imapmemserver.UserSession]()},
		{"MailboxView", reflect.TypeFor[memMailboxView](), reflect.TypeFor[imapmemserver.MailboxView]()},
		{"Mailbox", reflect.TypeFor[memMailbox](), reflect.TypeFor[imapmemserver.Mailbox]()},
	}
	for _, p := range pairs {
		if !sameLayout(p.ours, p.theirs) {
			t.Errorf("mirror of imapmemserver.%s does not match it", p.name)
		}
	}
	if !memLayoutOK() {
		t.Error("memLayoutOK is false")
	}
}

// TestSameLayoutRefusesDifferences: each way a mirror can differ from the
// type it mirrors makes sameLayout false.
func TestSameLayoutRefusesDifferences(t *testing.T) {
	type message struct {
		uid   imap.UID
		buf   []byte
		t     time.Time
		flags map[imap.Flag]struct{}
	}
	type swapped struct {
		buf   []byte
		uid   imap.UID
		t     time.Time
		flags map[imap.Flag]struct{}
	}
	type renamed struct {
		id    imap.UID
		buf   []byte
		t     time.Time
		flags map[imap.Flag]struct{}
	}
	type retyped struct {
		uid   imap.UID
		buf   []byte
		t     [3]int64 // the size of a time.Time
		flags map[imap.Flag]struct{}
	}
	type longer struct {
		uid   imap.UID
		buf   []byte
		t     time.Time
		flags map[imap.Flag]struct{}
		extra int
	}
	type mapDiffers struct {
		uid   imap.UID
		buf   []byte
		t     time.Time
		flags map[imap.Flag]bool
	}
	type mailbox struct {
		tracker     *imapserver.MailboxTracker
		uidValidity uint32
		mutex       sync.Mutex
		name        string
		subscribed  bool
		specialUse  []imap.MailboxAttr
		l           []*message
		uidNext     imap.UID
	}
	type mailboxOf[M any] struct {
		tracker     *imapserver.MailboxTracker
		uidValidity uint32
		mutex       sync.Mutex
		name        string
		subscribed  bool
		specialUse  []imap.MailboxAttr
		l           []*M
		uidNext     imap.UID
	}
	theirs := reflect.TypeFor[imapmemserver.Mailbox]()
	if !sameLayout(reflect.TypeFor[mailbox](), theirs) {
		t.Fatal("a faithful copy does not match: the check itself is wrong")
	}
	tests := []struct {
		name string
		ours reflect.Type
	}{
		{"fields swapped", reflect.TypeFor[mailboxOf[swapped]]()},
		{"field renamed", reflect.TypeFor[mailboxOf[renamed]]()},
		{"field of another kind, same size", reflect.TypeFor[mailboxOf[retyped]]()},
		{"extra field", reflect.TypeFor[mailboxOf[longer]]()},
		{"map of another element type", reflect.TypeFor[mailboxOf[mapDiffers]]()},
		{"message list as values", reflect.TypeFor[struct {
			tracker     *imapserver.MailboxTracker
			uidValidity uint32
			mutex       sync.Mutex
			name        string
			subscribed  bool
			specialUse  []imap.MailboxAttr
			l           []message
			uidNext     imap.UID
		}]()},
		{"the message type itself", reflect.TypeFor[message]()},
	}
	for _, tt := range tests {
		if sameLayout(tt.ours, theirs) {
			t.Errorf("%s: sameLayout is true", tt.name)
		}
	}
}
