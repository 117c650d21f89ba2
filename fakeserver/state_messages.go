package fakeserver

import (
	"bytes"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/imapprobe/imapprobe/faults"
)

// expungeMessages deletes and expunges messages as another client does:
// STORE +FLAGS.SILENT (\Deleted), then EXPUNGE of those UIDs. Every other
// session with the mailbox selected is sent the FETCH of the \Deleted
// flag and then the EXPUNGE.
func expungeMessages(u *imapmemserver.User, ch faults.ChangeExpunge) (string, error) {
	s, _, err := sideSession(u, ch.Mailbox)
	if err != nil {
		return "", fmt.Errorf("expunge: %w", err)
	}
	defer s.Close()
	uids, err := uidsOf(s)
	if err != nil {
		return "", fmt.Errorf("expunge in %q: %w", ch.Mailbox, err)
	}
	set := pick(uids, ch.Messages, ch.Count)
	if len(set) == 0 {
		return fmt.Sprintf("expunged nothing: %q is empty", ch.Mailbox), nil
	}
	// With Silent, Store writes nothing, and Expunge never writes: neither
	// needs a writer.
	if err := s.Store(nil, set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil); err != nil {
		return "", fmt.Errorf("expunge in %q: %w", ch.Mailbox, err)
	}
	if err := s.Expunge(nil, &set); err != nil {
		return "", fmt.Errorf("expunge in %q: %w", ch.Mailbox, err)
	}
	return fmt.Sprintf("expunged UID %s from %q", set, ch.Mailbox), nil
}

// storeFlags changes flags as another client's STORE does. Every other
// session with the mailbox selected is sent a FETCH (UID FLAGS) per
// message, with keywords as the fault spells them.
func storeFlags(st *mailStore, ch faults.ChangeFlags) (string, error) {
	s, _, err := sideSession(st.mem, ch.Mailbox)
	if err != nil {
		return "", fmt.Errorf("flags: %w", err)
	}
	defer s.Close()
	uids, err := uidsOf(s)
	if err != nil {
		return "", fmt.Errorf("flags in %q: %w", ch.Mailbox, err)
	}
	set := pick(uids, ch.Messages, ch.Count)
	if len(set) == 0 {
		return fmt.Sprintf("changed no flags: %q is empty", ch.Mailbox), nil
	}
	for _, op := range []struct {
		op    imap.StoreFlagsOp
		flags []string
	}{{imap.StoreFlagsAdd, ch.Add}, {imap.StoreFlagsDel, ch.Remove}} {
		if len(op.flags) == 0 {
			continue
		}
		flags := make([]imap.Flag, len(op.flags))
		for i, f := range op.flags {
			flags[i] = imap.Flag(f)
		}
		if op.op == imap.StoreFlagsAdd {
			st.keywords.define(ch.Mailbox, flags)
		}
		if err := s.Store(nil, set, &imap.StoreFlags{Op: op.op, Silent: true, Flags: flags}, nil); err != nil {
			return "", fmt.Errorf("flags in %q: %w", ch.Mailbox, err)
		}
	}
	return fmt.Sprintf("flags of UID %s in %q: +%v -%v", set, ch.Mailbox, ch.Add, ch.Remove), nil
}

// newMailSeq numbers delivered messages, so that each Message-ID is new.
var newMailSeq atomic.Int64

// deliverMessages appends new messages to the mailbox as a delivery agent
// does; every session with it selected is sent EXISTS.
func deliverMessages(u *imapmemserver.User, user string, ch faults.ChangeAppend) (string, error) {
	var first, last imap.UID
	for range ch.Count {
		raw := newMailMessage(user, newMailSeq.Add(1), time.Now())
		data, err := u.Append(ch.Mailbox, literal{bytes.NewReader(raw), int64(len(raw))}, &imap.AppendOptions{})
		if err != nil {
			return "", fmt.Errorf("new mail to %q: %w", ch.Mailbox, err)
		}
		if first == 0 {
			first = data.UID
		}
		last = data.UID
	}
	return fmt.Sprintf("delivered %d to %q (UID %d:%d)", ch.Count, ch.Mailbox, first, last), nil
}

// newMailMessage is a small plain-text message, dated t.
func newMailMessage(user string, n int64, t time.Time) []byte {
	return []byte(strings.Join([]string{
		"From: Fake Server <postmaster@example.test>",
		"To: " + user + "@example.test",
		fmt.Sprintf("Subject: New mail %d", n),
		"Date: " + t.Format(time.RFC1123Z),
		fmt.Sprintf("Message-ID: <newmail-%d-%d@example.test>", n, t.UnixNano()),
		"MIME-Version: 1.0",
		"Content-Type: text/plain; charset=utf-8",
		"",
		fmt.Sprintf("New mail %d, delivered by a newmail fault.", n),
		"",
	}, "\r\n"))
}
