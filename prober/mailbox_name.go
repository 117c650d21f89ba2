package prober

import (
	"strings"

	"github.com/imapprobe/imapprobe/internal/mutf7"
)

// mailboxName is the mailbox name to ask imapclient for, which encodes
// names to modified UTF-7 itself (RFC 3501 section 5.1.3). The rule: a
// name given in UTF-8 is used as it is; an ASCII name that is valid
// modified UTF-7 with at least one encoded run ("Entw&APw-rfe", as a
// server's LIST or a client's config shows it) is taken as already
// encoded and decoded first, so that it is not encoded a second time
// ("Entw&-APw-rfe"). A literal "&" is written "&-" in that form, so an
// ASCII name with an "&" that is not valid modified UTF-7 stays as it is.
func mailboxName(name string) string {
	if !isASCII(name) || !strings.Contains(name, "&") {
		return name
	}
	if dec, err := mutf7.Decode(name); err == nil && dec != strings.ReplaceAll(name, "&-", "&") {
		return dec
	}
	return name
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
