package fakeserver

import (
	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
)

// COPY and MOVE of a set that matches no message. go-imap beta.8 writes
// their COPYUID code with an empty UID set, which its encoder refuses
// half-way: the client got "* OK [COPYUID 3 " cut short, then a NO
// [SERVERBUG]. A real server (Dovecot: "OK No messages found.") answers
// OK and changes nothing, and so does the fake: it checks the set first.

func (s *session) Copy(numSet imap.NumSet, dest string) (*imap.CopyData, error) {
	if empty, err := s.matchesNothing(numSet); err != nil || empty {
		return nil, err
	}
	return s.UserSession.Copy(numSet, dest)
}

func (s *session) Move(w *imapserver.MoveWriter, numSet imap.NumSet, dest string) error {
	if empty, err := s.matchesNothing(numSet); err != nil || empty {
		return err
	}
	return s.UserSession.Move(w, numSet, dest)
}

// matchesNothing reports whether numSet names no message of the selected
// mailbox.
func (s *session) matchesNothing(numSet imap.NumSet) (bool, error) {
	criteria := &imap.SearchCriteria{}
	kind := imapserver.NumKindSeq
	switch set := numSet.(type) {
	case imap.UIDSet:
		criteria.UID = []imap.UIDSet{set}
		kind = imapserver.NumKindUID
	case imap.SeqSet:
		criteria.SeqNum = []imap.SeqSet{set}
	}
	data, err := s.UserSession.Search(kind, criteria, &imap.SearchOptions{ReturnCount: true})
	if err != nil {
		return false, err
	}
	return data.Count == 0, nil
}
