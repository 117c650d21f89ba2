package integration

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/google/go-cmp/cmp"
	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/integration/realservers"
)

// flagRounds are the flag changes made on the server before each of two
// syncs: system flags and keywords (which mbsync 1.4 does not store) in
// two mailboxes, then removals, a replacement and \Deleted.
var flagRounds = [][]flagChange{
	{
		{"INBOX", 1, addFlags(imap.FlagSeen, imap.FlagFlagged)},
		{"INBOX", 2, addFlags(imap.FlagAnswered, imap.FlagSeen, "$Junk")},
		{"INBOX", 3, addFlags(imap.FlagDraft)},
		{"Sent", 1, addFlags(imap.FlagSeen)},
	},
	{
		{"INBOX", 1, delFlags(imap.FlagFlagged)},
		{"INBOX", 2, setFlags(imap.FlagSeen, "NonJunk")},
		{"INBOX", 3, addFlags(imap.FlagDeleted, imap.FlagSeen)},
	},
}

// flagMailboxes are the mailboxes both servers seed alike: INBOX with
// three messages, Sent with one.
var flagMailboxes = []string{"INBOX", "Sent"}

// wantMaildirs is what mbsync keeps after each round: by "mailbox UID",
// the Maildir subdirectory and info flags.
var wantMaildirs = []map[string]string{
	{"INBOX 1": "cur FS", "INBOX 2": "cur RS", "INBOX 3": "new D", "Sent 1": "cur S"},
	{"INBOX 1": "cur S", "INBOX 2": "cur S", "INBOX 3": "cur DST", "Sent 1": "cur S"},
}

// TestClientMbsyncFlagsMatchDovecot (issue 11): two syncs of the seeded
// account, with the same flag changes made on the server before each,
// leave the same Maildirs (subdirectory and flags of every message, by
// UID) whether mbsync syncs from the test Dovecot or from the fake, in
// either persona, and no sync warns.
func TestClientMbsyncFlagsMatchDovecot(t *testing.T) {
	bin := needClient(t, "mbsync")
	l, err := processLauncher()
	realservers.Need(t, err)
	inst := startDovecot(t, l, realservers.Config{})

	type target struct {
		name    string
		server  flagServer
		dir     string
		conf    string
		maildir map[string]string
	}
	ddir := t.TempDir()
	caFile := filepath.Join(ddir, "ca.pem")
	if err := os.WriteFile(caFile, inst.CAPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	targets := []*target{{
		name: "dovecot",
		server: flagServer{user: realservers.DefaultUser, pass: realservers.DefaultPassword, dial: func() (*imapclient.Client, error) {
			return imapclient.DialTLS(inst.TLSAddr(), &imapclient.Options{TLSConfig: &tls.Config{RootCAs: inst.CAPool, ServerName: inst.Host}})
		}},
		dir: ddir,
		conf: writeMbsyncAccount(t, mbsyncAccount{port: strconv.Itoa(inst.TLSPort), user: realservers.DefaultUser,
			pass: realservers.DefaultPassword, ssl: "IMAPS", caFile: caFile}, ddir, mbsyncOpts{patterns: strings.Join(flagMailboxes, " ")}),
	}}
	for _, p := range []fakeserver.Persona{fakeserver.PersonaGoImap, fakeserver.PersonaDovecot} {
		srv := fakeserver.New(t, fakeserver.WithMode(fakeserver.ModeImplicitTLS), fakeserver.WithUser(clientUser, clientPassword),
			fakeserver.WithPersona(p))
		checkLocalhostSAN(t, srv)
		dir := t.TempDir()
		targets = append(targets, &target{name: "fake/" + p.String(), server: fakeFlagServer(srv), dir: dir,
			conf: writeMbsyncConfig(t, srv, dir, mbsyncOpts{patterns: strings.Join(flagMailboxes, " ")})})
	}

	for round, changes := range flagRounds {
		for _, tg := range targets {
			storeFlags(t, tg.server, changes)
			run := runMbsync(t, bin, tg.dir, tg.conf)
			if run.code != 0 {
				t.Fatalf("%s: sync %d exited %d:\n%s", tg.name, round+1, run.code, run.output)
			}
			if strings.Contains(strings.ToLower(run.output), "warning") {
				t.Errorf("%s: sync %d warned:\n%s", tg.name, round+1, run.output)
			}
			tg.maildir = maildirState(t, tg.dir, flagMailboxes)
		}
		dovecot := targets[0].maildir
		if diff := cmp.Diff(wantMaildirs[round], dovecot); diff != "" {
			t.Errorf("after sync %d from Dovecot, the Maildir is not as expected (-want +got):\n%s", round+1, diff)
		}
		for _, tg := range targets[1:] {
			if diff := cmp.Diff(dovecot, tg.maildir); diff != "" {
				t.Errorf("after sync %d, the Maildir from %s differs from the one from Dovecot (-dovecot +fake):\n%s", round+1, tg.name, diff)
			}
		}
	}
}

// maildirState is, by "mailbox UID", the Maildir subdirectory ("new" or
// "cur") and info flags of every message mbsync stored.
func maildirState(t *testing.T, dir string, mailboxes []string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, mb := range mailboxes {
		_, info := mbsyncStored(t, dir, mb)
		for name, flags := range info {
			m := maildirUID.FindStringSubmatch(name)
			if m == nil {
				t.Fatalf("%s: no UID in Maildir file name %q", mb, name)
			}
			sub, _, _ := strings.Cut(name, "/")
			out[mb+" "+m[1]] = sub + " " + flags
		}
	}
	return out
}
