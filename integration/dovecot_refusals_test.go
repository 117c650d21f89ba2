package integration

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/faults"
	"github.com/imapprobe/imapprobe/integration/realservers"
)

// TestDovecotRefusalTexts checks the replies the fake gives to what a caps
// fault took away (faults.No*Reply) against a real Dovecot's answers to
// the same situations: an unknown mechanism, an unknown command before
// and after login, and LOGIN on a connection where it advertises
// LOGINDISABLED. (A Dovecot without TLS, for NoStartTLSReply, is not
// among the test setups.)
func TestDovecotRefusalTexts(t *testing.T) {
	t.Parallel()
	user, pw := realservers.DefaultUser, realservers.DefaultPassword
	eachLauncher(t, func(t *testing.T, l realservers.Launcher) {
		t.Parallel()
		inst := startDovecot(t, l, realservers.Config{})
		for _, tc := range []struct {
			name   string
			tls    bool
			source string
			steps  [][2]string // client line, the tagged reply wanted
		}{
			{name: "implicit TLS", tls: true, steps: [][2]string{
				{"a AUTHENTICATE XFOO", "a " + faults.NoMechanismReply},
				{"b AUTHENTICATE XFOO AAAA", "b " + faults.NoMechanismReply},
				{"c XYZZY", "c " + faults.NoCommandReply},
				{"d LOGIN " + user + " " + pw, ""},
				{"e XYZZY", "e " + fmt.Sprintf(faults.NoCommandLoggedInFormat, "XYZZY")},
			}},
			{name: "plain port, not secured", source: "127.0.0.2", steps: [][2]string{
				{"a LOGIN " + user + " " + pw, "a " + faults.LoginDisabledReply},
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := dialDovecot(t, inst, tc.tls, tc.source)
				for _, st := range tc.steps {
					got := r.command(st[0])
					if st[1] == "" {
						continue
					}
					if want := fakeserver.NormalizeTimings(st[1]); fakeserver.NormalizeTimings(got) != want {
						t.Errorf("after %q: Dovecot said %q, the fake says %q", strings.Fields(st[0])[1], got, st[1])
					}
				}
			})
		}
	})
}

type dovecotConn struct {
	t  *testing.T
	rw net.Conn
	br *bufio.Reader
}

// dialDovecot connects to inst's TLS or plain port, from source if set,
// and reads the greeting.
func dialDovecot(t *testing.T, inst *realservers.Instance, useTLS bool, source string) *dovecotConn {
	t.Helper()
	d := net.Dialer{Timeout: 10 * time.Second}
	if source != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(source)}
	}
	port := inst.Port
	if useTLS {
		port = inst.TLSPort
	}
	nc, err := d.Dial("tcp", net.JoinHostPort(inst.Host, strconv.Itoa(port)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(30 * time.Second))
	rw := nc
	if useTLS {
		rw = tls.Client(nc, &tls.Config{RootCAs: inst.CAPool, ServerName: inst.Host})
	}
	c := &dovecotConn{t: t, rw: rw, br: bufio.NewReader(rw)}
	c.readLine()
	return c
}

func (c *dovecotConn) readLine() string {
	c.t.Helper()
	l, err := c.br.ReadString('\n')
	if err != nil {
		c.t.Fatalf("read: %v (got %q)", err, l)
	}
	return strings.TrimSuffix(l, "\r\n")
}

// command sends line and returns its tagged reply.
func (c *dovecotConn) command(line string) string {
	c.t.Helper()
	if _, err := c.rw.Write([]byte(line + "\r\n")); err != nil {
		c.t.Fatal(err)
	}
	tag, _, _ := strings.Cut(line, " ")
	for {
		if l := c.readLine(); strings.HasPrefix(l, tag+" ") {
			return l
		}
	}
}
