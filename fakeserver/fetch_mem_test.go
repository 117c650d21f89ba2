package fakeserver

import (
	"reflect"
	"testing"

	"github.com/emersion/go-imap/v2"
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
// type it mirrors makes sameLayout false. Each altered mirror is memMailbox
// or memMessage rebuilt by reflect.StructOf with one change.
func TestSameLayoutRefusesDifferences(t *testing.T) {
	message := reflect.TypeFor[memMessage]()
	// mailboxOf is memMailbox with l, its message list, of type list.
	mailboxOf := func(list reflect.Type) reflect.Type {
		return alter(reflect.TypeFor[memMailbox](), func(fs []reflect.StructField) []reflect.StructField {
			field(fs, "l").Type = list
			return fs
		})
	}
	// messageList is a mailbox's list of pointers to messages of the
	// given type, memMessage altered by change.
	messageList := func(change func([]reflect.StructField) []reflect.StructField) reflect.Type {
		return reflect.SliceOf(reflect.PointerTo(alter(message, change)))
	}
	theirs := reflect.TypeFor[imapmemserver.Mailbox]()
	if !sameLayout(mailboxOf(reflect.SliceOf(reflect.PointerTo(message))), theirs) {
		t.Fatal("a faithful copy does not match: the check itself is wrong")
	}
	tests := []struct {
		name string
		ours reflect.Type
	}{
		{"fields swapped", mailboxOf(messageList(func(fs []reflect.StructField) []reflect.StructField {
			fs[0], fs[1] = fs[1], fs[0]
			return fs
		}))},
		{"field renamed", mailboxOf(messageList(func(fs []reflect.StructField) []reflect.StructField {
			field(fs, "uid").Name = "id"
			return fs
		}))},
		{"field of another kind, same size", mailboxOf(messageList(func(fs []reflect.StructField) []reflect.StructField {
			field(fs, "t").Type = reflect.TypeFor[[3]int64]() // the size of a time.Time
			return fs
		}))},
		{"extra field", mailboxOf(messageList(func(fs []reflect.StructField) []reflect.StructField {
			return append(fs, reflect.StructField{Name: "extra", PkgPath: fs[0].PkgPath, Type: reflect.TypeFor[int]()})
		}))},
		{"map of another element type", mailboxOf(messageList(func(fs []reflect.StructField) []reflect.StructField {
			field(fs, "flags").Type = reflect.TypeFor[map[imap.Flag]bool]()
			return fs
		}))},
		{"message list as values", mailboxOf(reflect.SliceOf(message))},
		{"the message type itself", message},
	}
	for _, tt := range tests {
		if sameLayout(tt.ours, theirs) {
			t.Errorf("%s: sameLayout is true", tt.name)
		}
	}
}

// alter returns a struct type built by reflect.StructOf from the fields of
// struct type t as change returns them (change may edit its argument).
func alter(t reflect.Type, change func([]reflect.StructField) []reflect.StructField) reflect.Type {
	fs := make([]reflect.StructField, t.NumField())
	for i := range fs {
		f := t.Field(i)
		fs[i] = reflect.StructField{Name: f.Name, PkgPath: f.PkgPath, Type: f.Type, Tag: f.Tag}
	}
	return reflect.StructOf(change(fs))
}

// field returns the field of fs named name.
func field(fs []reflect.StructField, name string) *reflect.StructField {
	for i := range fs {
		if fs[i].Name == name {
			return &fs[i]
		}
	}
	panic("no field " + name)
}
