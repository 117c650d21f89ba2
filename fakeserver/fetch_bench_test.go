package fakeserver_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/imapprobe/imapprobe/fakeserver"
)

// BenchmarkFetchPartial50MB measures one FETCH BODY.PEEK[]<0.1048576> of a
// 50 MB message, over TCP through the fake's front, on a raw client that
// reads the literal into a buffer it reuses (so B/op is nearly all the
// server's). Each FETCH must return exactly the message's first MiB.
func BenchmarkFetchPartial50MB(b *testing.B) {
	const size, want = 50 << 20, 1 << 20
	raw := benchMessage(size)
	srv := fakeserver.New(b, fakeserver.WithMode(fakeserver.ModePlaintext))
	name, pass := srv.User()
	if err := srv.Append(name, "INBOX", raw); err != nil {
		b.Fatal(err)
	}
	seq := fakeserver.SeededInbox + 1 // also its UID

	nc, err := net.DialTimeout("tcp", srv.Addr(), 5*time.Second)
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	br := bufio.NewReaderSize(nc, 64<<10)
	line := func() string {
		l, err := br.ReadString('\n')
		if err != nil {
			b.Fatalf("read: %v (got %q)", err, l)
		}
		return l
	}
	command := func(tag, cmd string) {
		if _, err := io.WriteString(nc, tag+" "+cmd+"\r\n"); err != nil {
			b.Fatal(err)
		}
		for {
			l := line()
			if strings.HasPrefix(l, tag+" ") {
				if !strings.HasPrefix(l, tag+" OK ") {
					b.Fatalf("%s: %q", cmd, l)
				}
				return
			}
		}
	}
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	if l := line(); !strings.HasPrefix(l, "* OK ") {
		b.Fatalf("greeting: %q", l)
	}
	command("l", "LOGIN "+name+" "+pass)
	command("s", "SELECT INBOX")

	fetch := fmt.Sprintf("f FETCH %d (BODY.PEEK[]<0.%d>)\r\n", seq, want)
	head := fmt.Sprintf("* %d FETCH (UID %d BODY[]<0> {%d}\r\n", seq, seq, want)
	got := make([]byte, want)
	b.SetBytes(want)
	b.ReportAllocs()
	for b.Loop() {
		clear(got)
		_ = nc.SetDeadline(time.Now().Add(30 * time.Second))
		if _, err := io.WriteString(nc, fetch); err != nil {
			b.Fatal(err)
		}
		if l := line(); l != head {
			b.Fatalf("FETCH response starts %q, want %q", l, head)
		}
		if _, err := io.ReadFull(br, got); err != nil {
			b.Fatalf("reading the literal: %v", err)
		}
		if !bytes.Equal(got, raw[:want]) {
			b.Fatal("the literal is not the message's first MiB")
		}
		if l := line(); l != ")\r\n" {
			b.Fatalf("after the literal: %q", l)
		}
		if l := line(); !strings.HasPrefix(l, "f OK ") {
			b.Fatalf("FETCH: %q", l)
		}
	}
}

// benchMessage is a size-byte plain message whose body lines carry their
// offsets, so that a wrong slice cannot pass for the right one.
func benchMessage(size int) []byte {
	b := make([]byte, 0, size+64)
	b = append(b, "From: Big Sender <big@example.test>\r\n"+
		"To: alice@example.test\r\n"+
		"Subject: 50 MB\r\n"+
		"Date: Mon, 02 Mar 2026 09:15:00 +0000\r\n"+
		"Message-ID: <bench-50mb@example.test>\r\n"+
		"MIME-Version: 1.0\r\n"+
		"Content-Type: text/plain; charset=us-ascii\r\n\r\n"...)
	for len(b) < size {
		b = strconv.AppendInt(append(b, "offset "...), int64(len(b)), 10)
		b = append(b, " ........................\r\n"...)
	}
	return b[:size]
}
