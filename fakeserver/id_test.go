package fakeserver_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"

	"github.com/imapprobe/imapprobe/fakeserver"
)

// TestGoImapPersonaID: the default persona advertises ID before and after
// login and answers it (RFC 2971) in both states, pipelined or not.
func TestGoImapPersonaID(t *testing.T) {
	t.Parallel()
	srv := fakeserver.New(t, fakeserver.WithMode(fakeserver.ModePlaintext))
	r := dialRaw(t, srv.Addr(), nil)
	if g := r.line(); g != tlsGreeting {
		t.Fatalf("greeting %q", g)
	}
	const reply = `* ID ("name" "fakeserver" "vendor" "imapprobe")` + "\r\n"
	r.send(`a ID ("name" "probe")` + "\r\n")
	if got := strings.Join(r.until("a "), ""); got != reply+"a OK ID completed\r\n" {
		t.Fatalf("ID before login: %q", got)
	}
	r.loginRaw(srv)
	r.send("b CAPABILITY\r\nc ID NIL\r\nd NOOP\r\n")
	got := r.until("d ")
	caps := strings.Fields(strings.TrimPrefix(got[0], "* CAPABILITY "))
	if !slices.Contains(caps, "ID") {
		t.Errorf("post-login CAPABILITY lacks ID: %q", got[0])
	}
	if want := []string{"b OK CAPABILITY completed\r\n", reply, "c OK ID completed\r\n", "d OK NOOP completed\r\n"}; !slices.Equal(got[1:], want) {
		t.Errorf("pipelined CAPABILITY, ID, NOOP: %q, want %q", got[1:], want)
	}

	c := login(t, srv)
	if !c.Caps().Has(imap.CapID) {
		t.Errorf("imapclient does not see ID in %v", c.Caps())
	}
	id, err := c.ID(&imap.IDData{Name: "probe"}).Wait()
	if err != nil || id.Name != "fakeserver" || id.Vendor != "imapprobe" {
		t.Errorf("imapclient ID: %+v, %v", id, err)
	}
}
