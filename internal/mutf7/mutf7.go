// Package mutf7 decodes IMAP's modified UTF-7 mailbox names (RFC 3501
// 5.1.3), for the prober's hints and the fake's Maildir folder names.
package mutf7

import (
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// encoding is base64 with "," for "/" and no padding.
var encoding = base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,").WithPadding(base64.NoPadding)

// Decode decodes s: "&" starts a base64 run of UTF-16, "-" ends it, "&-"
// is "&". A run that is not UTF-16, or that encodes printable ASCII or a
// control character (which RFC 3501 forbids), is an error.
func Decode(s string) (string, error) {
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
			return "", fmt.Errorf("modified UTF-7: \"&\" without its \"-\"")
		}
		run := s[:end]
		s = s[end+1:]
		if run == "" {
			b.WriteByte('&')
			continue
		}
		raw, err := encoding.DecodeString(run)
		if err != nil || len(raw)%2 != 0 {
			return "", fmt.Errorf("modified UTF-7: bad base64 run %q", run)
		}
		units := make([]uint16, len(raw)/2)
		for k := range units {
			units[k] = uint16(raw[2*k])<<8 | uint16(raw[2*k+1])
		}
		for _, r := range utf16.Decode(units) {
			if r == utf8.RuneError || r < 0x7f {
				return "", fmt.Errorf("modified UTF-7: run %q is not UTF-16 of non-ASCII text", run)
			}
			b.WriteRune(r)
		}
	}
	return b.String(), nil
}
