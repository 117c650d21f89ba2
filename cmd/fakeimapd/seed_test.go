package main

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"
)

// imapLines runs commands on a fresh plaintext connection to addr, logged
// in as alice, and returns the lines of each command's reply, tagged
// "c0", "c1"...
func imapLines(t *testing.T, addr string, commands ...string) [][]string {
	t.Helper()
	return imapLinesAs(t, addr, "alice canary-s33d", commands...)
}

// imapLinesAs is imapLines logged in with LOGIN's arguments login.
func imapLinesAs(t *testing.T, addr, login string, commands ...string) [][]string {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(nc)
	read := func(tag string) []string {
		var out []string
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				t.Fatalf("waiting for %s: %v after %q", tag, err, out)
			}
			out = append(out, strings.TrimSuffix(l, "\r\n"))
			if strings.HasPrefix(l, tag) {
				return out
			}
		}
	}
	read("* OK")
	var replies [][]string
	for i, c := range append([]string{"LOGIN " + login}, commands...) {
		tag := "c" + string(rune('0'+i)) + " "
		if _, err := nc.Write([]byte(tag + c + "\r\n")); err != nil {
			t.Fatal(err)
		}
		replies = append(replies, read(tag))
	}
	return replies[1:]
}

var wreckCommands = []string{"SELECT INBOX", `STORE 1:* +FLAGS.SILENT (\Deleted)`, "EXPUNGE", "LOGOUT"}

// inboxCount is the STATUS line a new connection gets for INBOX.
func inboxCount(t *testing.T, addr string) string {
	t.Helper()
	return imapLines(t, addr, "STATUS INBOX (MESSAGES)")[0][0]
}

// TestFreshSeedPerRun: every fakeimapd run starts from the seed, whatever
// the run before did; within a run connections share it unless
// --fresh-state connection.
func TestFreshSeedPerRun(t *testing.T) {
	t.Parallel()
	const fresh, wrecked = "* STATUS INBOX (MESSAGES 3)", "* STATUS INBOX (MESSAGES 0)"
	tests := []struct {
		args []string
		next string // what the next connection of the same run sees
	}{
		{nil, wrecked},
		{[]string{"--fresh-state", "server"}, wrecked},
		{[]string{"--fresh-state", "connection"}, fresh},
	}
	for _, tt := range tests {
		t.Run(strings.Join(append([]string{"run"}, tt.args...), " "), func(t *testing.T) {
			t.Parallel()
			for run := range 2 {
				d := startDaemon(t, []string{"FAKEIMAPD_USERS=alice:canary-s33d"},
					append([]string{"--mode", "plaintext", "--allow-plaintext-auth", "--quiet"}, tt.args...)...)
				if got := inboxCount(t, d.ready.Addr); got != fresh {
					t.Fatalf("run %d starts with %q, want %q", run, got, fresh)
				}
				imapLines(t, d.ready.Addr, wreckCommands...)
				if got := inboxCount(t, d.ready.Addr); got != tt.next {
					t.Errorf("run %d, after STORE \\Deleted and EXPUNGE: %q, want %q", run, got, tt.next)
				}
				_ = d.cmd.Process.Kill()
				_ = d.cmd.Wait()
			}
		})
	}
}

// TestRestrictedMailboxFlag: --restricted-mailbox adds a listed mailbox
// that refuses SELECT; without it there is none.
func TestRestrictedMailboxFlag(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args      []string
		list, sel string
	}{
		{nil, "c1 OK LIST completed", "c2 NO [NONEXISTENT] No such mailbox"},
		{[]string{"--restricted-mailbox", "Secret"}, `* LIST (\HasNoChildren) "/" "Secret"`, "c2 NO [NOPERM] Permission denied"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(append([]string{"run"}, tt.args...), " "), func(t *testing.T) {
			t.Parallel()
			d := startDaemon(t, []string{"FAKEIMAPD_USERS=alice:canary-s33d"},
				append([]string{"--mode", "plaintext", "--allow-plaintext-auth", "--quiet"}, tt.args...)...)
			r := imapLines(t, d.ready.Addr, `LIST "" Secret`, "SELECT Secret")
			if r[0][0] != tt.list || r[1][len(r[1])-1] != tt.sel {
				t.Errorf("LIST %q, SELECT %q; want %q, %q", r[0], r[1], tt.list, tt.sel)
			}
		})
	}
}
