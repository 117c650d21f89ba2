package fakeserver_test

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/imapprobe/imapprobe/internal/certs"
)

// echoSession is one connection to a scripted upstream: an IMAP server
// that answers each command as a test's script says, typically by
// echoing what the client sent (a broken server quoting the password).
type echoSession struct {
	br *bufio.Reader
	nc net.Conn
}

// readCommand reads one logical command: its tag, upper-case name, and
// the whole line without its final CRLF, each literal inline after its
// {N}CRLF, as redact sees it. A synchronising literal gets "+ Ready".
func (s *echoSession) readCommand() (tag, name, line string, err error) {
	var b strings.Builder
	for {
		l, err := s.readLine()
		if err != nil {
			return "", "", "", err
		}
		b.WriteString(l)
		open := strings.LastIndexByte(l, '{')
		if open < 0 || !strings.HasSuffix(l, "}") {
			break
		}
		num, sync := strings.CutSuffix(l[open+1:len(l)-1], "+")
		n, err := strconv.Atoi(num)
		if err != nil || n > 1<<16 {
			break
		}
		if !sync {
			s.send("+ Ready\r\n")
		}
		lit := make([]byte, n)
		if _, err := io.ReadFull(s.br, lit); err != nil {
			return "", "", "", err
		}
		b.WriteString("\r\n")
		b.Write(lit)
	}
	line = b.String()
	f := strings.Fields(line)
	if len(f) < 2 {
		return "", "", line, errors.New("no command")
	}
	return f[0], strings.ToUpper(f[1]), line, nil
}

// readLine reads one line without its CRLF (a SASL response).
func (s *echoSession) readLine() (string, error) {
	l, err := s.br.ReadString('\n')
	return strings.TrimRight(l, "\r\n"), err
}

func (s *echoSession) send(lines ...string) {
	for _, l := range lines {
		_, _ = io.WriteString(s.nc, l+"\r\n")
	}
}

// echoGreeting offers every mechanism the echo tests use.
const echoGreeting = "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN AUTH=LOGIN AUTH=XOAUTH2 AUTH=OAUTHBEARER] echo upstream ready"

// startEchoUpstream serves script over implicit TLS on 127.0.0.1 until
// the test ends, and returns the URL and the CA that verifies it. The
// script answers every command but LOGOUT, which ends the session.
func startEchoUpstream(t *testing.T, script func(s *echoSession, tag, name, line string)) (string, *x509.CertPool) {
	t.Helper()
	ca, err := certs.NewAuthority("echo upstream CA")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Issue(certs.Leaf{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{leaf}, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go serveEcho(nc, script)
		}
	}()
	return "imaps://" + ln.Addr().String(), ca.Pool()
}

func serveEcho(nc net.Conn, script func(s *echoSession, tag, name, line string)) {
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	s := &echoSession{br: bufio.NewReader(nc), nc: nc}
	s.send(echoGreeting)
	for {
		tag, name, line, err := s.readCommand()
		if err != nil {
			return
		}
		if name == "LOGOUT" {
			s.send("* BYE echo upstream logging out", tag+" OK LOGOUT completed")
			return
		}
		script(s, tag, name, line)
	}
}
