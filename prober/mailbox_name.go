package prober

import (
	"encoding/base64"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
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
	if dec, ok := decodeMUTF7(name); ok && dec != strings.ReplaceAll(name, "&-", "&") {
		return dec
	}
	return name
}

var mutf7 = base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,").WithPadding(base64.NoPadding)

// decodeMUTF7 decodes modified UTF-7, or reports false if s is not valid.
func decodeMUTF7(s string) (string, bool) {
	var b strings.Builder
	for len(s) > 0 {
		i := strings.IndexByte(s, '&')
		if i < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		s = s[i+1:]
		end := strings.IndexByte(s, '-')
		if end < 0 {
			return "", false
		}
		run := s[:end]
		s = s[end+1:]
		if run == "" {
			b.WriteByte('&')
			continue
		}
		raw, err := mutf7.DecodeString(run)
		if err != nil || len(raw)%2 != 0 {
			return "", false
		}
		units := make([]uint16, len(raw)/2)
		for j := range units {
			units[j] = uint16(raw[2*j])<<8 | uint16(raw[2*j+1])
		}
		for _, r := range utf16.Decode(units) {
			if r == utf8.RuneError || r < 0x7f {
				return "", false // printable ASCII must not be encoded (RFC 3501 5.1.3); control characters are not taken as a name
			}
			b.WriteRune(r)
		}
	}
	return b.String(), true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
