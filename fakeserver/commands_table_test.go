package fakeserver_test

import (
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/imapprobe/imapprobe/fakeserver"
)

// commandRow is one row of README.md's table of what the fake serves.
type commandRow struct {
	extension, state string
	commands         []string
	answer           string // OK, NO or BAD
}

// readCommandsTable parses the table between the commands markers.
func readCommandsTable(t *testing.T) []commandRow {
	t.Helper()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "<!-- commands:start -->\n")
	table, _, ok2 := strings.Cut(rest, "<!-- commands:end -->")
	if !ok || !ok2 {
		t.Fatal("README.md: no <!-- commands:start --> ... <!-- commands:end --> table")
	}
	code := regexp.MustCompile("`([^`]+)`")
	var rows []commandRow
	for i, line := range strings.Split(strings.TrimSpace(table), "\n") {
		if i < 2 { // the header and its rule
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), " | ")
		if len(cells) != 4 {
			t.Fatalf("README.md commands table: row %q has %d cells, want 4", line, len(cells))
		}
		row := commandRow{extension: strings.TrimSpace(cells[0]), state: cells[1], answer: strings.TrimSpace(cells[3])}
		for _, m := range code.FindAllStringSubmatch(cells[2], -1) {
			row.commands = append(row.commands, m[1])
		}
		if len(row.commands) == 0 || (row.answer != "OK" && row.answer != "NO" && row.answer != "BAD") {
			t.Fatalf("README.md commands table: row %q: commands %q, answer %q", line, row.commands, row.answer)
		}
		rows = append(rows, row)
	}
	return rows
}

// TestCommandsTable sends every command of README.md's table to a fresh
// fake over a real socket, in the row's state, and checks that its
// tagged answer is the row's.
func TestCommandsTable(t *testing.T) {
	t.Parallel()
	rows := readCommandsTable(t)
	if len(rows) < 25 {
		t.Fatalf("README.md commands table: %d rows, want at least 25", len(rows))
	}
	const message = "From: a@example.test\r\nSubject: t\r\n\r\nhello\r\n"
	for _, row := range rows {
		t.Run(row.extension+"/"+row.commands[0], func(t *testing.T) {
			t.Parallel()
			var r *rawConn
			var srv *fakeserver.Server
			switch row.state {
			case "before STARTTLS":
				srv = fakeserver.New(t, fakeserver.WithMode(fakeserver.ModeStartTLS))
				r = dialRaw(t, srv.Addr(), nil)
				r.line()
			case "before login", "selected":
				srv = fakeserver.New(t)
				r = dialRaw(t, srv.Addr(), srv.TLSConfig())
				r.line()
			default:
				t.Fatalf("unknown state %q", row.state)
			}
			name, pass := srv.User()
			if row.state == "selected" {
				r.loginRaw(srv)
				r.send("s SELECT INBOX\r\n")
				r.until("s OK")
			}
			for i, cmd := range row.commands {
				line := strings.NewReplacer("<password>", pass, "<initial-response>", b64("\x00"+name+"\x00"+pass),
					"<message>", "{"+strconv.Itoa(len(message))+"+}\r\n"+message).Replace(cmd)
				tag := "c" + strconv.Itoa(i)
				r.send(tag + " " + line + "\r\n")
				for {
					l := r.response()
					if strings.HasPrefix(l, "+ ") && cmd == "IDLE" {
						r.send("DONE\r\n")
						continue
					}
					if strings.HasPrefix(l, "* ") {
						continue
					}
					if got, _, _ := strings.Cut(strings.TrimPrefix(l, tag+" "), " "); !strings.HasPrefix(l, tag+" ") || got != row.answer {
						t.Fatalf("%s: got %q, want %s", cmd, l, row.answer)
					}
					break
				}
			}
		})
	}
}

// response reads one response, reading past the literals in it; the
// literals' bytes are left out.
func (r *rawConn) response() string {
	r.t.Helper()
	var b strings.Builder
	for {
		l := strings.TrimSuffix(r.line(), "\r\n")
		b.WriteString(l)
		m := literalEnd.FindStringSubmatch(l)
		if m == nil {
			return b.String()
		}
		n, _ := strconv.Atoi(m[1])
		if _, err := io.CopyN(io.Discard, r.br, int64(n)); err != nil {
			r.t.Fatalf("reading a %d-byte literal: %v", n, err)
		}
	}
}

var literalEnd = regexp.MustCompile(`~?\{(\d+)\}$`)
