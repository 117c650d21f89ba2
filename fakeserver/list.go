package fakeserver

import (
	"reflect"
	"slices"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
)

// LIST and LSUB with the attributes imapmemserver leaves out: child
// attributes (RFC 3348, RFC 5258) and special-use ones (RFC 6154). Which
// attributes a reply carries follows Dovecot 2.3.19, whose replies to the
// same commands are in testdata/dovecot_list.txt:
//
//   - plain LIST: \HasChildren or \HasNoChildren, then special-use, never
//     \Subscribed;
//   - LIST-EXTENDED (selection or RETURN options): \Subscribed with
//     SUBSCRIBED, children with RETURN (CHILDREN), special-use with
//     SPECIAL-USE as selection or return option;
//   - LSUB: special-use only;
//   - a missing parent of a listed mailbox ("Projekte" of
//     "Projekte/Entwürfe") is \Noselect \HasChildren, or \NonExistent in
//     LIST-EXTENDED.
//
// The order within a reply is Dovecot's: \Subscribed, \Noselect or
// \NonExistent, the child attribute, special-use.

func (s *session) List(w *imapserver.ListWriter, ref string, patterns []string, options *imap.ListOptions) error {
	if len(patterns) == 0 || s.store == nil {
		return s.UserSession.List(w, ref, patterns, options) // the delimiter query
	}
	lsub := isLSub(w)
	o := *options
	extended := !lsub && (o.SelectSubscribed || o.SelectRemote || o.SelectSpecialUse ||
		o.ReturnSubscribed || o.ReturnChildren || o.ReturnSpecialUse || o.ReturnStatus != nil)
	boxes := s.store.snapshot()
	names, parents := listNames(boxes)
	for _, name := range names {
		if !slices.ContainsFunc(patterns, func(p string) bool {
			return imapserver.MatchList(name, mailDelim, ref, p)
		}) {
			continue
		}
		meta, exists := boxes[name]
		if (o.SelectSubscribed && !meta.subscribed) || (o.SelectSpecialUse && len(meta.specialUse) == 0) {
			continue // a missing parent is neither subscribed nor special
		}
		data := imap.ListData{Mailbox: name, Delim: mailDelim}
		if extended && (o.ReturnSubscribed || o.SelectSubscribed) && meta.subscribed {
			data.Attrs = append(data.Attrs, imap.MailboxAttrSubscribed)
		}
		switch {
		case !exists && extended:
			data.Attrs = append(data.Attrs, imap.MailboxAttrNonExistent)
		case !exists:
			data.Attrs = append(data.Attrs, imap.MailboxAttrNoSelect)
		}
		if !lsub && (!extended || o.ReturnChildren) {
			if parents[name] || !exists {
				data.Attrs = append(data.Attrs, imap.MailboxAttrHasChildren)
			} else {
				data.Attrs = append(data.Attrs, imap.MailboxAttrHasNoChildren)
			}
		}
		if !extended || o.ReturnSpecialUse || o.SelectSpecialUse {
			data.Attrs = append(data.Attrs, meta.specialUse...)
		}
		if o.ReturnStatus != nil && exists && !s.restricted(name) {
			if st, err := s.UserSession.Status(name, o.ReturnStatus); err == nil {
				data.Status = st
			}
		}
		if err := w.WriteList(&data); err != nil {
			return err
		}
	}
	return nil
}

// listNames are the mailboxes and their missing parents, in byte order as
// imapmemserver lists them; parents holds every name that has a child.
// One pass: 10,000 mailboxes list in milliseconds, not in a scan each.
func listNames(boxes map[string]boxMeta) (names []string, parents map[string]bool) {
	seen := make(map[string]bool, len(boxes))
	parents = make(map[string]bool)
	for name := range boxes {
		seen[name] = true
		for i := strings.LastIndexByte(name, mailDelim); i > 0; i = strings.LastIndexByte(name[:i], mailDelim) {
			seen[name[:i]] = true
			parents[name[:i]] = true
		}
	}
	names = make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	slices.Sort(names)
	return names, parents
}

// isLSub tells LSUB from LIST (SUBSCRIBED), which reach List with the same
// options; only the writer knows, in an unexported field. Reading it by
// reflection is the one way short of forking imapserver; if a go-imap
// release renames it, every call is taken for LIST (the test of LSUB's
// attributes then fails).
func isLSub(w *imapserver.ListWriter) bool {
	f := reflect.ValueOf(w).Elem().FieldByName("lsub")
	return f.IsValid() && f.Kind() == reflect.Bool && f.Bool()
}

// The mailbox-changing commands keep the store's index in step.

func (s *session) Create(name string, options *imap.CreateOptions) error {
	if err := s.UserSession.Create(name, options); err != nil {
		return err
	}
	var specialUse []imap.MailboxAttr
	if options != nil {
		specialUse = options.SpecialUse
	}
	s.store.created(name, specialUse)
	return nil
}

func (s *session) Delete(name string) error {
	if err := s.UserSession.Delete(name); err != nil {
		return err
	}
	s.store.deleted(name)
	return nil
}

func (s *session) Subscribe(name string) error {
	if err := s.UserSession.Subscribe(name); err != nil {
		return err
	}
	s.store.subscribe(name, true)
	return nil
}

func (s *session) Unsubscribe(name string) error {
	if err := s.UserSession.Unsubscribe(name); err != nil {
		return err
	}
	s.store.subscribe(name, false)
	return nil
}
