package faults

import (
	"bytes"
	"crypto/tls"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/imapprobe/imapprobe/internal/certs"
)

// hookFault acts at every hook and never asks its Scope, like every kind:
// the scope is the Set's to apply.
type hookFault struct {
	scoped
	tlsCalls int
}

func (*hookFault) Kind() string                                 { return "hook" }
func (*hookFault) Spec() string                                 { return "hook" }
func (*hookFault) OnAccept(ConnInfo) Action                     { return Action{Delay: time.Second} }
func (*hookFault) BeforeHandshake(ConnInfo) Action              { return Action{Delay: time.Second} }
func (*hookFault) OnGreeting(ConnInfo) Action                   { return Action{Delay: time.Second} }
func (*hookFault) OnCommand(ConnInfo, Command) Action           { return Action{Delay: time.Second} }
func (*hookFault) Capabilities(_ ConnInfo, c []string) []string { return append(c, "X") }
func (*hookFault) WrapWriter(_ ConnInfo, w io.Writer, _ func(CloseMode)) io.Writer {
	return &cutWriter{w: w, left: 1}
}
func (h *hookFault) TLSConfig(good *tls.Config, _ *certs.Authority) (*tls.Config, error) {
	h.tlsCalls++
	return good.Clone(), nil
}

// authFault acts only once AUTHENTICATE's mechanism is known (a
// hookFault would also count the AUTHENTICATE command itself).
type authFault struct{ hookFault }

func (*authFault) OnCommand(ConnInfo, Command) Action     { return Action{} }
func (*authFault) OnAuthenticate(ConnInfo, string) Action { return Action{Reply: "NO x"} }

// TestScopeAppliedByTheSet (issue 9): a fault that never asks its Scope
// still fires only as its scope says, at every hook: with nth=2 on the
// second occurrence only, with user=alice only for alice. A TLSHook is
// not even called when its scope says no.
func TestScopeAppliedByTheSet(t *testing.T) {
	t.Parallel()
	good := &tls.Config{}
	hooks := map[string]func(Set, ConnInfo) bool{
		"accept":    func(s Set, c ConnInfo) bool { return !s.OnAccept(c).IsZero() },
		"handshake": func(s Set, c ConnInfo) bool { return !s.BeforeHandshake(c).IsZero() },
		"greeting":  func(s Set, c ConnInfo) bool { return !s.OnGreeting(c).IsZero() },
		"command":   func(s Set, c ConnInfo) bool { return !s.OnCommand(c, Command{Name: "NOOP"}).IsZero() },
		"auth": func(s Set, c ConnInfo) bool {
			return s.OnAuthenticate(c, Command{Name: "AUTHENTICATE"}, "PLAIN").Reply != ""
		},
		"capabilities": func(s Set, c ConnInfo) bool { return len(s.Capabilities(c, []string{"IMAP4REV1"})) == 2 },
		"writer": func(s Set, c ConnInfo) bool {
			var b bytes.Buffer
			return s.WrapWriter(c, &b, func(CloseMode) {}) != io.Writer(&b)
		},
		"tls": func(s Set, _ ConnInfo) bool {
			cfg, err := s.TLSConfig(good, nil)
			return err == nil && cfg != good
		},
	}
	for name, fires := range hooks {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			nth := &hookFault{scoped: scoped{Scope{Nth: 2}}}
			user := &hookFault{scoped: scoped{Scope{User: "alice"}}}
			var nthFault, userFault Fault = nth, user
			if name == "auth" {
				nthFault, userFault = &authFault{}, &authFault{}
				nthFault.Scope().Nth, userFault.Scope().User = 2, "alice"
			}
			var got []bool
			for range 3 {
				got = append(got, fires(Set{nthFault}, ConnInfo{}))
			}
			if want := []bool{false, true, false}; !slices.Equal(got, want) {
				t.Errorf("nth=2: fired %v, want %v", got, want)
			}
			if name == "tls" && nth.tlsCalls != 1 {
				t.Errorf("TLSConfig called %d times for 1 firing, want 1", nth.tlsCalls)
			}
			if name == "tls" {
				return // TLS has no user: a user scope is refused for cert faults
			}
			if fires(Set{userFault}, ConnInfo{User: "bob"}) || !fires(Set{userFault}, ConnInfo{User: "alice"}) {
				t.Errorf("user=alice: fired for bob, or not for alice")
			}
		})
	}
}

// TestNoKindAsksItsScope: only the dispatcher calls Scope.Fire, so a new
// kind cannot apply (or forget) its scope on its own.
func TestNoKindAsksItsScope(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") || name == "set.go" || name == "scope.go" {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(src), ".Fire(") {
			t.Errorf("%s calls Scope.Fire; a hook says what it would do, and the Set (set.go) applies the scope", name)
		}
	}
}
