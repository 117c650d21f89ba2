package prober

import (
	"strings"

	"github.com/emersion/go-imap/v2"
)

// How a tagged NO is classified, as data: first its RFC 5530 response code,
// then the wording servers use without one (Dovecot, Cyrus, Gmail,
// Exchange, Courier). Add a server's phrase here, with a test that quotes it.

// failedCode stands for the step's plain failure: auth.failed, or
// auth.token_rejected for a token mechanism.
const failedCode Code = "failed"

var authByCode = map[imap.ResponseCode]Code{
	imap.ResponseCodeAuthenticationFailed: failedCode,
	imap.ResponseCodeAuthorizationFailed:  "auth.authorization_failed",
	imap.ResponseCodeExpired:              "auth.expired",
	imap.ResponseCodeUnavailable:          "auth.unavailable",
	imap.ResponseCodePrivacyRequired:      "auth.login_disabled",
	"CANNOT":                              "auth.mechanism_unsupported",
}

var authByWords = []phrases{
	{"auth.mechanism_unsupported", []string{"mechanism", "unsupported authentication", "unknown authentication", "not supported"}},
	{"auth.login_disabled", []string{"plaintext", "ssl/tls", "starttls first", "requires tls", "privacy"}},
	{"auth.unavailable", []string{"temporar", "try again", "unavailable", "backend", "system error"}},
	{"auth.expired", []string{"expired"}},
	{"auth.authorization_failed", []string{"not connected", "not authorized", "authorization", "imap access is disabled", "not enabled", "disabled for this", "account is disabled", "web browser"}},
}

var selectByCode = map[imap.ResponseCode]Code{
	imap.ResponseCodeNonExistent: "mailbox.not_found",
	imap.ResponseCodeNoPerm:      "mailbox.no_permission",
	imap.ResponseCodeInUse:       "mailbox.in_use",
}

var selectByWords = []phrases{
	{"mailbox.not_found", []string{"doesn't exist", "does not exist", "not found", "no such", "unknown mailbox", "nonexistent", "not exist", "could not be found", "cannot be found"}},
	{"mailbox.no_permission", []string{"permission", "access denied", "access is denied", "not allowed", "acl", "no right"}},
	{"mailbox.in_use", []string{"in use", "locked", "lock "}},
}

// phrases maps lower-case phrases in a server's text to a code.
type phrases struct {
	code  Code
	words []string
}

// classifyNo returns the code for a NO by its response code, then its
// text, or "" when neither matches.
func classifyNo(ie *imap.Error, byCode map[imap.ResponseCode]Code, byWords []phrases) Code {
	if code, ok := byCode[ie.Code]; ok {
		return code
	}
	text := strings.ToLower(ie.Text)
	for _, p := range byWords {
		if containsAny(text, p.words...) {
			return p.code
		}
	}
	return ""
}
