package prober

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/imapprobe/imapprobe/internal/wiretap"
)

// authErr maps a failed LOGIN/AUTHENTICATE (its tagged NO or BAD): RFC
// 5530 codes first, then the wording of Dovecot, Gmail, Exchange and
// Courier.
func authErr(mech string, ie *imap.Error, tokenErr map[string]any) (Code, string) {
	detail := serverSaid(ie)
	token := isTokenMech(mech)
	if tokenErr != nil {
		detail += "; token error: " + describeTokenError(tokenErr)
	}
	failed := Code("auth.failed")
	if token {
		failed = "auth.token_rejected"
	}
	if code, ok := authByCode[ie.Code]; ok {
		if code == failedCode {
			code = failed
		}
		return code, detail
	}
	if token && tokenErr != nil {
		return "auth.token_rejected", detail
	}
	if code := classifyNo(ie, nil, authByWords); code != "" {
		return code, detail
	}
	if ie.Type == imap.StatusResponseTypeBad {
		return "auth.bad", detail
	}
	return failed, detail
}

// describeTokenError lists the error's fields, status and scope first,
// each whole: the fix points the reader at them.
func describeTokenError(m map[string]any) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	rank := func(k string) int {
		switch k {
		case "status":
			return 0
		case "scope":
			return 1
		}
		return 2
	}
	sort.Slice(keys, func(i, j int) bool {
		if rank(keys[i]) != rank(keys[j]) {
			return rank(keys[i]) < rank(keys[j])
		}
		return keys[i] < keys[j]
	})
	var b strings.Builder
	for i, k := range keys {
		part := wiretap.Escape(fmt.Sprintf("%s=%v", k, m[k]), 300)
		if b.Len()+len(part) > 600 && i > 0 {
			fmt.Fprintf(&b, " (+%d more fields)", len(keys)-i)
			break
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(part)
	}
	return `"` + b.String() + `"`
}

// statusError turns a tagged NO or BAD line into the *imap.Error that
// authErr classifies.
func statusError(r *response) *imap.Error {
	_, rest, _ := strings.Cut(r.text, " ") // drop the tag
	_, rest, _ = strings.Cut(rest, " ")    // and the status
	e := &imap.Error{Type: imap.StatusResponseType(r.status), Text: rest}
	if strings.HasPrefix(rest, "[") {
		if end := strings.IndexByte(rest, ']'); end > 0 {
			word, _, _ := strings.Cut(rest[1:end], " ")
			e.Code = imap.ResponseCode(strings.ToUpper(word))
			e.Text = strings.TrimSpace(rest[end+1:])
		}
	}
	return e
}

// tokenError decodes the server's error challenge. A broken server may
// quote the token back, in a value or a key, so every string is scrubbed
// after decoding (which also undoes JSON escapes such as \/), and raw text
// is scrubbed before it is shortened.
func tokenError(challenge []byte, scrub func(string) string) map[string]any {
	if len(challenge) == 0 {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(challenge, &m); err != nil {
		return map[string]any{"raw": cut(scrub(string(challenge)), 4096)}
	}
	return scrubJSON(m, scrub).(map[string]any)
}
