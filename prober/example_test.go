package prober_test

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/imapprobe/imapprobe/prober"
)

// A probe of a port where nothing listens fails at connect, and says so.
func ExampleProbe() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close() // now nothing listens there

	t := prober.Target{Host: "127.0.0.1", Port: port, TLS: prober.TLSImplicit, User: "alice"}
	r := prober.Probe(context.Background(), t, prober.Options{Password: "secret", StepTimeout: 2 * time.Second})
	fmt.Println(r.Result.Status, r.Result.Step, r.Result.Code, r.Result.ExitCode)
	fmt.Println(r.Step(prober.StepAuth).Status)
	// Output:
	// fail connect tcp.refused 3
	// skipped
}

// A connection-only check stops on purpose: the later steps are not
// requested, and no credentials are needed.
func ExampleOptions_quitAfter() {
	o := prober.Options{QuitAfter: prober.StepCapability}
	fmt.Println(prober.ValidateQuitAfter(o.QuitAfter))
	fmt.Println(prober.ValidateQuitAfter("login"))
	// Output:
	// <nil>
	// unknown step "login" for --quit-after: use one of resolve, connect, tls, greeting, capability, starttls, auth, list, select, fetch
}

func ExampleParseURL() {
	t, err := prober.ParseURL("imap://alice%40example.com@mail.example.com:1143/Archive")
	if err != nil {
		panic(err)
	}
	fmt.Println(t.User, t.Host, strconv.Itoa(t.Port), t.TLS, t.Mailbox)
	// Output: alice@example.com mail.example.com 1143 starttls Archive
}

func ExampleLookup() {
	c, _ := prober.Lookup("auth.failed")
	fmt.Println(c.Step, c.ExitCode)
	fmt.Println(c.Summary)
	// Output:
	// auth 6
	// authentication failed
}

// OnStep shows progress: each step as it ends, skipped ones too, before
// Probe returns the whole report.
func ExampleOptions_onStep() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close() // nothing listens: connect fails, the rest is skipped

	o := prober.Options{Password: "secret", StepTimeout: 2 * time.Second,
		OnStep: func(s prober.Step) { fmt.Print(s.Name, ":", s.Status, " ") }}
	prober.Probe(context.Background(), prober.Target{Host: "127.0.0.1", Port: port, User: "alice"}, o)
	fmt.Println()
	// Output: resolve:ok connect:fail tls:skipped greeting:skipped capability:skipped starttls:skipped auth:skipped list:skipped select:skipped fetch:skipped logout:skipped
}
