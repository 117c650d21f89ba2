package prober

import (
	"testing"

	"github.com/emersion/go-imap/v2"
)

// Server wordings: RFC 5530 codes first, then the texts of Dovecot, Gmail,
// Exchange, Courier and Cyrus when no code is sent.
func TestAuthWordings(t *testing.T) {
	t.Parallel()
	no := func(code imap.ResponseCode, text string) *imap.Error {
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: code, Text: text}
	}
	cases := []struct {
		mech string
		err  *imap.Error
		want Code
	}{
		{"PLAIN", no(imap.ResponseCodeAuthenticationFailed, "Authentication failed."), "auth.failed"},                          // Dovecot
		{"LOGIN", no(imap.ResponseCodeAuthenticationFailed, "Invalid credentials (Failure)"), "auth.failed"},                   // Gmail
		{"XOAUTH2", no(imap.ResponseCodeAuthenticationFailed, "Invalid credentials (Failure)"), "auth.token_rejected"},         // Gmail, token
		{"PLAIN", no(imap.ResponseCodeUnavailable, "Temporary authentication failure. [host:2026-11-26]"), "auth.unavailable"}, // Dovecot
		{"LOGIN", no(imap.ResponseCodePrivacyRequired, "Plaintext authentication disallowed on non-secure (SSL/TLS) connections."), "auth.login_disabled"},
		{"PLAIN", no(imap.ResponseCodeExpired, "Password expired"), "auth.expired"},
		{"PLAIN", no(imap.ResponseCodeAuthorizationFailed, "Authorization failed"), "auth.authorization_failed"},
		{"LOGIN", no("", "LOGIN failed."), "auth.failed"},                                          // Exchange
		{"PLAIN", no("", "AUTHENTICATE failed."), "auth.failed"},                                   // Exchange
		{"LOGIN", no("", "User is authenticated but not connected."), "auth.authorization_failed"}, // Exchange: IMAP disabled for the mailbox
		{"LOGIN", no("", "Login failed."), "auth.failed"},                                          // Courier
		{"LOGIN", no("", "Temporary authentication failure."), "auth.unavailable"},
		{"PLAIN", no("", "Unsupported authentication mechanism."), "auth.mechanism_unsupported"}, // Dovecot without code
		{"LOGIN", no("", "Your password has expired."), "auth.expired"},
		{"LOGIN", no("", "Plaintext authentication disallowed on non-secure (SSL/TLS) connections."), "auth.login_disabled"},
		{"LOGIN", no(imap.ResponseCodeAlert, "Application-specific password required"), "auth.failed"}, // Gmail
		{"PLAIN", &imap.Error{Type: imap.StatusResponseTypeBad, Text: "Invalid arguments"}, "auth.bad"},
	}
	for _, tc := range cases {
		if got, _ := authErr(tc.mech, tc.err, nil); got != tc.want {
			t.Errorf("%s %v: %s, want %s", tc.mech, tc.err, got, tc.want)
		}
	}
}

func TestSelectWordings(t *testing.T) {
	t.Parallel()
	no := func(code imap.ResponseCode, text string) *imap.Error {
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: code, Text: text}
	}
	cases := []struct {
		err  *imap.Error
		want Code
	}{
		{no(imap.ResponseCodeNonExistent, "Mailbox doesn't exist: Foo"), "mailbox.not_found"},     // Dovecot
		{no(imap.ResponseCodeNonExistent, "Unknown Mailbox: Foo (Failure)"), "mailbox.not_found"}, // Gmail
		{no("", "The specified folder could not be found in the store."), "mailbox.not_found"},    // Exchange
		{no("", "Mailbox does not exist, or must be subscribed to."), "mailbox.not_found"},        // Courier
		{no(imap.ResponseCodeNoPerm, "Permission denied"), "mailbox.no_permission"},
		{no("", "Access is denied."), "mailbox.no_permission"}, // Exchange
		{no(imap.ResponseCodeInUse, "Mailbox is locked"), "mailbox.in_use"},
		{no("", "Mailbox is locked by another process"), "mailbox.in_use"},
		{no(imap.ResponseCodeServerBug, "Internal error occurred. Refer to server log for more information."), "mailbox.select_failed"},
		{no("", "Something odd"), "mailbox.select_failed"},
	}
	p := &probe{t: Target{Mailbox: "Foo"}}
	for _, tc := range cases {
		if got, _ := p.selectErr(mailboxState{names: []string{"INBOX", "Foo"}}, tc.err); got != tc.want {
			t.Errorf("%v: %s, want %s", tc.err, got, tc.want)
		}
	}
	if got, _ := p.selectErr(mailboxState{names: []string{"INBOX"}}, no("", "Something odd")); got != "mailbox.not_found" {
		t.Errorf("a NO for a name absent from LIST: %s, want mailbox.not_found", got)
	}
}

func TestClosestHint(t *testing.T) {
	t.Parallel()
	many := []string{"INBOX", "Sent", "Drafts", "Trash", "Junk", "Archive", "Notes"}
	cases := []struct {
		want   string
		listed []string
		hint   string
	}{
		{"Snet", many, `Closest existing mailboxes: "Sent". Pass one with --mailbox or in the URL path.`},
		{"Entwürfe", many, `No similar name among the 7 listed mailboxes; they include "INBOX", "Sent", "Drafts", "Trash", "Junk" and 2 more. Pass one with --mailbox or in the URL path.`},
		{"Entwürfe", many[:2], `No similar name among the 2 listed mailboxes; they include "INBOX", "Sent". Pass one with --mailbox or in the URL path.`},
		{"Entwürfe", nil, catalog()["mailbox.not_found"].Fix},
		{"INBOX", many, "LIST names this mailbox, yet the server will not open it: it may be a placeholder that cannot be selected (\\Noselect in LIST's attributes), or visible without the read right (ACL), or not yet on the replica that answered. Check the mailbox's LIST attributes and its rights (GETACL, doveadm acl get, cyradm lam)."},
		{"inbox", many, "LIST names this mailbox, yet the server will not open it: it may be a placeholder that cannot be selected (\\Noselect in LIST's attributes), or visible without the read right (ACL), or not yet on the replica that answered. Check the mailbox's LIST attributes and its rights (GETACL, doveadm acl get, cyradm lam)."},
	}
	for _, c := range cases {
		p := &probe{t: Target{Mailbox: c.want}}
		if got := p.closestHint(mailboxState{names: c.listed}); got != c.hint {
			t.Errorf("%q in %q:\n got %s\nwant %s", c.want, c.listed, got, c.hint)
		}
	}
}
