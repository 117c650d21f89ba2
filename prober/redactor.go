package prober

import (
	"sync"

	"github.com/imapprobe/imapprobe/internal/redact"
)

// redactors caches the redaction patterns of recent credential sets: a
// fleet or an exporter probes with the same few credentials again and
// again, and deriving every encoding of a secret costs more than the
// rest of a probe's set-up. Each probe gets a Session of its own over the
// shared, read-only patterns. The cache is small and flushed when full,
// so that rotating tokens do not grow it.
var redactors struct {
	sync.Mutex
	m map[credKey]*redact.Session
}

// credKey is one credential set: the user is part of it because the SASL
// encodings hold it.
type credKey struct{ user, password, token string }

const maxRedactors = 64

// redactor returns a fresh Session masking password and token in every
// encoding in which they travel for user (redact.Encodings).
func redactor(user, password, token string) *redact.Session {
	k := credKey{user, password, token}
	redactors.Lock()
	defer redactors.Unlock()
	if s, ok := redactors.m[k]; ok {
		return s.Fresh()
	}
	var secrets []string
	secrets = append(secrets, redact.Encodings(user, password)...)
	secrets = append(secrets, redact.Encodings(user, token)...)
	s := redact.NewSession(secrets...)
	if len(redactors.m) >= maxRedactors || redactors.m == nil {
		redactors.m = make(map[credKey]*redact.Session)
	}
	redactors.m[k] = s
	return s.Fresh()
}
