package integration

import (
	"maps"
	"regexp"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/imapprobe/imapprobe/fakeserver"
)

// TestClientMbsyncFlags: flags set on the server reach mbsync's Maildir on
// the next sync, and a further sync leaves them unchanged, with no
// warning.
func TestClientMbsyncFlags(t *testing.T) {
	bin := needClient(t, "mbsync")
	for _, mode := range clientModes {
		t.Run(mode.String(), func(t *testing.T) {
			t.Parallel()
			srv := startClientFake(t, mode)
			dir := t.TempDir()
			conf := writeMbsyncConfig(t, srv, dir, mbsyncOpts{patterns: "INBOX"})
			if run := runMbsync(t, bin, dir, conf); run.code != 0 {
				t.Fatalf("first sync exited %d:\n%s", run.code, run.output)
			}
			if got := maildirFlags(t, dir); !maps.Equal(got, map[string]string{"1": "", "2": "", "3": ""}) {
				t.Fatalf("after the first sync, flags by UID %q, want none", got)
			}

			// Set flags on the server, as another client would.
			storeFlags(t, fakeFlagServer(srv), []flagChange{
				{"INBOX", 1, addFlags(imap.FlagSeen, imap.FlagFlagged)},
				{"INBOX", 2, addFlags(imap.FlagAnswered, imap.FlagSeen)},
			})

			want := map[string]string{"1": "FS", "2": "RS", "3": ""}
			for i, name := range []string{"second", "third"} {
				run := runMbsync(t, bin, dir, conf)
				if run.code != 0 {
					t.Fatalf("%s sync exited %d:\n%s", name, run.code, run.output)
				}
				if strings.Contains(run.output, "warning") {
					t.Errorf("%s sync warned:\n%s", name, run.output)
				}
				if got := maildirFlags(t, dir); !maps.Equal(got, want) {
					t.Errorf("after the %s sync (%d), Maildir flags by UID %q, want %q", name, i+2, got, want)
				}
			}
		})
	}
}

var maildirUID = regexp.MustCompile(`,U=(\d+)`)

// maildirFlags is the Maildir info flags of each INBOX message, by UID.
func maildirFlags(t *testing.T, dir string) map[string]string {
	t.Helper()
	_, info := mbsyncStored(t, dir, "INBOX")
	flags := map[string]string{}
	for name, f := range info {
		m := maildirUID.FindStringSubmatch(name)
		if m == nil {
			t.Fatalf("no UID in Maildir file name %q", name)
		}
		flags[m[1]] = f
	}
	return flags
}

// flagChange is a STORE another client makes on the server between syncs.
type flagChange struct {
	mailbox string
	uid     imap.UID
	store   imap.StoreFlags
}

func addFlags(f ...imap.Flag) imap.StoreFlags {
	return imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: f, Silent: true}
}

func delFlags(f ...imap.Flag) imap.StoreFlags {
	return imap.StoreFlags{Op: imap.StoreFlagsDel, Flags: f, Silent: true}
}

func setFlags(f ...imap.Flag) imap.StoreFlags {
	return imap.StoreFlags{Op: imap.StoreFlagsSet, Flags: f, Silent: true}
}

// flagServer is a server whose flags a test changes with imapclient.
type flagServer struct {
	dial       func() (*imapclient.Client, error)
	user, pass string
}

func fakeFlagServer(srv *fakeserver.Server) flagServer {
	user, pass := srv.User()
	return flagServer{dial: func() (*imapclient.Client, error) { return dialFake(srv, srv.TLSConfig()) }, user: user, pass: pass}
}

// storeFlags logs in to s and makes the changes, in order.
func storeFlags(t *testing.T, s flagServer, changes []flagChange) {
	t.Helper()
	c, err := s.dial()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	withDeadline(t, c, func() {
		if err := c.Login(s.user, s.pass).Wait(); err != nil {
			t.Fatal(err)
		}
		selected := ""
		for _, ch := range changes {
			if ch.mailbox != selected {
				if _, err := c.Select(ch.mailbox, nil).Wait(); err != nil {
					t.Fatalf("SELECT %s: %v", ch.mailbox, err)
				}
				selected = ch.mailbox
			}
			if err := c.Store(imap.UIDSetNum(ch.uid), &ch.store, nil).Close(); err != nil {
				t.Fatalf("UID STORE %d in %s: %v", ch.uid, ch.mailbox, err)
			}
		}
		if err := c.Logout().Wait(); err != nil {
			t.Logf("LOGOUT: %v", err)
		}
	})
}
