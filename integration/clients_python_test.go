package integration

// offlineimap3 and getmail6 (Debian packages, in Python) sync from the
// fake over implicit TLS only: offlineimap's STARTTLS fails now and then
// against any server (a client race; against Dovecot too), and getmail6
// has no IMAP STARTTLS.

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/imapprobe/imapprobe/fakeserver"
)

// pythonFlagChanges are set on the fake before the first sync, so that
// there are flags to keep.
var pythonFlagChanges = []flagChange{
	{"INBOX", 1, addFlags(imap.FlagSeen, imap.FlagFlagged)},
	{"INBOX", 2, addFlags(imap.FlagAnswered, imap.FlagSeen)},
	{"INBOX", 3, addFlags(imap.FlagDraft)},
	{"Sent", 1, addFlags(imap.FlagSeen)},
}

// serverFlags is, by "mailbox UID", the flags of every message of the
// seeded mailboxes, read after EXAMINE, which changes none.
func serverFlags(t *testing.T, srv *fakeserver.Server) map[string]string {
	t.Helper()
	c, err := dialFake(srv, srv.TLSConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	out := map[string]string{}
	withDeadline(t, c, func() {
		user, pass := srv.User()
		if err := c.Login(user, pass).Wait(); err != nil {
			t.Fatal(err)
		}
		for _, mb := range seedMailboxes {
			data, err := c.Select(mb, &imap.SelectOptions{ReadOnly: true}).Wait()
			if err != nil {
				t.Fatalf("EXAMINE %s: %v", mb, err)
			}
			if data.NumMessages == 0 {
				continue
			}
			msgs, err := c.Fetch(imap.SeqSetNum(seqRange(data.NumMessages)...), &imap.FetchOptions{UID: true, Flags: true}).Collect()
			if err != nil {
				t.Fatalf("FETCH %s: %v", mb, err)
			}
			for _, m := range msgs {
				fl := make([]string, len(m.Flags))
				for i, f := range m.Flags {
					fl[i] = string(f)
				}
				out[mb+" "+strconv.FormatUint(uint64(m.UID), 10)] = strings.Join(fl, " ")
			}
		}
		_ = c.Logout().Wait()
	})
	return out
}

// wantServerFlags is serverFlags after pythonFlagChanges, the big message
// (INBOX UID 4) and Archive/2025's having none.
var wantServerFlags = map[string]string{
	"INBOX 1": `\Flagged \Seen`, "INBOX 2": `\Answered \Seen`, "INBOX 3": `\Draft`, "INBOX 4": "",
	"Sent 1": `\Seen`, "Archive/2025 1": "",
}

// writeOfflineimapConfig writes dir/offlineimaprc for a sync of every
// folder of the fake into the Maildir dir/mail ("Archive/2025" is
// "Archive.2025" there), with its metadata in dir/meta.
func writeOfflineimapConfig(t *testing.T, srv *fakeserver.Server, dir string) string {
	t.Helper()
	if err := os.Mkdir(filepath.Join(dir, "mail"), 0o700); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf(`[general]
accounts = fake
metadata = %[1]s/meta
ui = basic

[Account fake]
localrepository = local
remoterepository = remote

[Repository local]
type = Maildir
localfolders = %[1]s/mail

[Repository remote]
type = IMAP
remotehost = %[2]s
remoteport = %[3]s
remoteuser = %[4]s
remotepass = %[5]s
ssl = yes
sslcacertfile = %[6]s
starttls = no
timeout = %[7]d
`, dir, clientHost, fakePort(t, srv), clientUser, clientPassword, writeCA(t, srv, dir), clientIOTimeout)
	return writeConfig(t, dir, "offlineimaprc", conf)
}

// offlineimapStored reads each Maildir folder offlineimap wrote: the
// messages by mailbox, and by "mailbox UID" the subdirectory and info
// flags (offlineimap names a file ...,U=UID,FMD5=...:2,FLAGS).
func offlineimapStored(t *testing.T, dir string) (map[string][][]byte, map[string]string) {
	t.Helper()
	msgs, state := map[string][][]byte{}, map[string]string{}
	for _, mb := range seedMailboxes {
		box := filepath.Join(dir, "mail", strings.ReplaceAll(mb, "/", "."))
		msgs[mb] = [][]byte{}
		for _, sub := range []string{"new", "cur"} {
			ents, err := os.ReadDir(filepath.Join(box, sub))
			if err != nil {
				t.Fatalf("%s: %v", mb, err)
			}
			for _, e := range ents {
				raw, err := os.ReadFile(filepath.Join(box, sub, e.Name()))
				if err != nil {
					t.Fatal(err)
				}
				msgs[mb] = append(msgs[mb], raw)
				m := maildirUID.FindStringSubmatch(e.Name())
				_, flags, ok := strings.Cut(e.Name(), ":2,")
				if m == nil || !ok {
					t.Fatalf("%s: Maildir file name %q has no UID or no info", mb, e.Name())
				}
				state[mb+" "+m[1]] = sub + " " + flags
			}
		}
	}
	return msgs, state
}

// TestClientOfflineimapSync: offlineimap3 syncs every seeded folder from
// the fake over implicit TLS, stores each message byte-identical (up to
// Maildir's LF line ends; it adds no header), keeps the server's flags
// in the Maildir info, and a second sync copies nothing and changes no
// flag on either side.
func TestClientOfflineimapSync(t *testing.T) {
	bin := needClient(t, "offlineimap")
	t.Parallel()
	srv, want := startSyncFake(t, fakeserver.ModeImplicitTLS)
	storeFlags(t, fakeFlagServer(srv), pythonFlagChanges)
	if got := serverFlags(t, srv); !maps.Equal(got, wantServerFlags) {
		t.Fatalf("flags on the fake %q, want %q", got, wantServerFlags)
	}
	dir := t.TempDir()
	conf := writeOfflineimapConfig(t, srv, dir)
	wantState := map[string]string{"INBOX 1": "cur FS", "INBOX 2": "cur RS", "INBOX 3": "new D", "INBOX 4": "new ",
		"Sent 1": "cur S", "Archive/2025 1": "new "}
	var first map[string]string
	for i, name := range []string{"first", "second"} {
		run := runClient(t, dir, nil, bin, "-c", conf, "-o", "-u", "basic")
		if run.code != 0 {
			t.Fatalf("%s sync exited %d, want 0; output:\n%s\n%s", name, run.code, run.output, transcripts(srv))
		}
		if low := strings.ToLower(run.output); strings.Contains(low, "warning") || strings.Contains(low, "error") {
			t.Errorf("%s sync warned:\n%s", name, run.output)
		}
		if i == 1 && (strings.Contains(run.output, "Copy message") || strings.Contains(run.output, " flag ")) {
			t.Errorf("the second sync copied messages or changed flags:\n%s", run.output)
		}
		msgs, state := offlineimapStored(t, dir)
		total := 0
		for _, mb := range seedMailboxes {
			sameMessages(t, mb, want[mb], msgs[mb])
			total += len(msgs[mb])
		}
		if !maps.Equal(state, wantState) {
			t.Errorf("after the %s sync, Maildir state %q, want %q", name, state, wantState)
		}
		if i == 0 {
			first = state
			t.Logf("%d messages in %d folders, byte-identical, flags kept", total, len(seedMailboxes))
		} else if !maps.Equal(state, first) {
			t.Errorf("the second sync changed the Maildir: %q, then %q", first, state)
		}
		if got := serverFlags(t, srv); !maps.Equal(got, wantServerFlags) {
			t.Errorf("after the %s sync, flags on the fake %q, want %q", name, got, wantServerFlags)
		}
	}
}

// writeGetmailConfig writes dir/getmail/getmailrc for one run over every
// folder of the fake, delivering each message to its own file in
// dir/delivered through an external MDA (getmail's Maildir delivery
// refuses to run as root; allow_root_commands lets the MDA).
func writeGetmailConfig(t *testing.T, srv *fakeserver.Server, dir string) string {
	t.Helper()
	if err := os.Mkdir(filepath.Join(dir, "getmail"), 0o700); err != nil {
		t.Fatal(err)
	}
	mda, out := writeMDA(t, dir)
	conf := fmt.Sprintf(`[retriever]
type = SimpleIMAPSSLRetriever
server = %s
port = %s
username = %s
password = %s
ca_certs = %s
mailboxes = ALL
timeout = %d

[destination]
type = MDA_external
path = %s
arguments = ("%s",)
allow_root_commands = true

[options]
read_all = false
delete = false
verbose = 2
`, clientHost, fakePort(t, srv), clientUser, clientPassword, writeCA(t, srv, dir), clientIOTimeout,
		mda, out)
	writeConfig(t, filepath.Join(dir, "getmail"), "getmailrc", conf)
	return filepath.Join(dir, "getmail")
}

// getmailAdded are the header fields getmail6 adds to each message it
// delivers: the envelope's (unknown: IMAP has none), its Received trace
// and the mailbox it came from.
var getmailAdded = []string{"Return-Path", "Delivered-To", "Received", "X-getmail-retrieved-from-mailbox"}

// TestClientGetmailSync: getmail6 retrieves every message of every
// seeded folder ("mailboxes = ALL") from the fake over implicit TLS,
// byte-identical up to LF line ends and the fields it adds, leaves the
// server's flags as they were, and a second run retrieves nothing.
func TestClientGetmailSync(t *testing.T) {
	bin := needClient(t, "getmail")
	t.Parallel()
	srv, byBox := startSyncFake(t, fakeserver.ModeImplicitTLS)
	storeFlags(t, fakeFlagServer(srv), pythonFlagChanges)
	var want [][]byte
	for _, mb := range seedMailboxes {
		want = append(want, byBox[mb]...)
	}
	dir := t.TempDir()
	gmDir := writeGetmailConfig(t, srv, dir)
	args := []string{"--getmaildir", gmDir, "--rcfile", "getmailrc"}
	for i, name := range []string{"first", "second"} {
		run := runClient(t, dir, nil, bin, args...)
		if run.code != 0 {
			t.Fatalf("%s run exited %d, want 0; output:\n%s\n%s", name, run.code, run.output, transcripts(srv))
		}
		summary := fmt.Sprintf("%d messages (", len(want))
		if i == 1 {
			summary = fmt.Sprintf("0 messages (0 bytes) retrieved, %d skipped", len(want))
		}
		if !strings.Contains(run.output, summary) {
			t.Errorf("%s run: output lacks %q:\n%s", name, summary, run.output)
		}
		ents, err := os.ReadDir(filepath.Join(dir, "delivered"))
		if err != nil {
			t.Fatal(err)
		}
		var got [][]byte
		for _, e := range ents {
			raw, err := os.ReadFile(filepath.Join(dir, "delivered", e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range getmailAdded {
				var n int
				if raw, n = removeHeader(raw, h); n != 1 {
					t.Errorf("%s: %d %s fields, want 1 (getmail's)", e.Name(), n, h)
				}
			}
			got = append(got, raw)
		}
		sameMessages(t, "every folder", want, got)
		if got := serverFlags(t, srv); !maps.Equal(got, wantServerFlags) {
			t.Errorf("after the %s run, flags on the fake %q, want %q", name, got, wantServerFlags)
		}
	}
}
