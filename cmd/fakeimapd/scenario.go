package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"text/tabwriter"

	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/faults"
	"github.com/imapprobe/imapprobe/scenarios"
)

// applyScenario puts the server into a named scenario of the diagnosis
// matrix: its mode (unless --mode was given), faults, auth policy and
// restricted mailbox (unless --restricted-mailbox was given).
func applyScenario(o *options, name string, modeGiven bool) error {
	sc, err := scenarios.Find(name)
	if err != nil {
		return flagError("--scenario", err)
	}
	if sc.Recording != nil {
		// a recording of the catalog: served by a replay, as --replay
		// does, with its delays, as imapprobe demo replays it
		o.scenario, o.replay.rec, o.replay.timing = &sc, sc.Recording, true
		return nil
	}
	if !modeGiven {
		if o.mode, err = fakeserver.ParseMode(sc.Server.ModeName()); err != nil {
			return err
		}
	}
	set, err := faults.ParseAll(sc.Faults)
	if err != nil {
		return flagError("--scenario "+name, err)
	}
	o.faults = append(o.faults, set...)
	o.allowPlainAuth = o.allowPlainAuth || sc.Server.AllowPlaintextAuth
	if o.restricted == "" {
		o.restricted = sc.Server.RestrictedMailbox
	}
	if a := sc.Probe.Auth; a == "xoauth2" || a == "oauthbearer" {
		// The probe needs a token for the first user: make one up unless
		// one was given.
		first := fakeserver.DefaultUser
		if len(o.users) > 0 {
			first = o.users[0].name
		} else if len(o.tokens) > 0 {
			first = o.tokens[0].name
		}
		if !slices.ContainsFunc(o.tokens, func(p pair) bool { return p.name == first }) {
			o.tokens = append(o.tokens, pair{name: first, secret: randomHex()})
		}
	}
	o.scenario = &sc
	return nil
}

func randomHex() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// listScenarios prints every scenario with its faults and the diagnosis
// imapprobe gives for it.
func listScenarios(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tIMAPPROBE SAYS\tSITUATION")
	for _, sc := range scenarios.All() {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", sc.Name, sc.Want, sc.Situation)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nRun one with: fakeimapd --scenario NAME; it prints the imapprobe command that gets that diagnosis.")
}

// scenarioProbe prints to stderr the imapprobe command that reproduces the
// scenario against srv, after writing the files it names into a fresh
// directory (removed by cleanup, when fakeimapd exits). It returns the
// command line, or why there is none.
func scenarioProbe(sc *scenarios.Scenario, srv *fakeserver.Server, stderr io.Writer) (command, sideOnly string, cleanup func(), err error) {
	user, password := srv.User()
	ps := probeServer{mode: srv.Mode(), plainAddr: srv.PlainAddr(), tlsAddr: srv.TLSAddr(), user: user,
		password: password, token: srv.Token(user), closedPort: scenarios.ClosedPort}
	return printProbe(sc, ps, srv.CACertPEM(), stderr)
}

// replayProbe is scenarioProbe for a recording of the catalog, served at
// addr by a replay, which takes any password or token.
func replayProbe(sc *scenarios.Scenario, addr string, caPEM []byte, stderr io.Writer) (command, sideOnly string, cleanup func(), err error) {
	mode, err := fakeserver.ParseMode(sc.Recording.TLS)
	if err != nil {
		return "", "", func() {}, err
	}
	ps := probeServer{mode: mode, plainAddr: addr, user: sc.Recording.User, password: randomHex(), token: randomHex()}
	if mode == fakeserver.ModeImplicitTLS {
		ps.plainAddr, ps.tlsAddr = "", addr
	}
	return printProbe(sc, ps, caPEM, stderr)
}

// printProbe writes the files of the imapprobe command that gets sc's
// diagnosis from ps, and prints the command.
func printProbe(sc *scenarios.Scenario, ps probeServer, caPEM []byte, stderr io.Writer) (command, sideOnly string, cleanup func(), err error) {
	cleanup = func() {}
	dir, err := os.MkdirTemp("", "fakeimapd-"+sc.Name+"-")
	if err != nil {
		return "", "", cleanup, fmt.Errorf("--scenario: %v", err)
	}
	cleanup = func() { os.RemoveAll(dir) }
	args, files, err := probeCommand(*sc, ps, caPEM, dir)
	var side probeSideOnly
	if errors.As(err, &side) {
		fmt.Fprintf(stderr, "fakeimapd: scenario %s is probe-side only: %s\n", sc.Name, side.reason)
		return "", side.reason, cleanup, nil
	}
	if err != nil {
		return "", "", cleanup, usageError{fmt.Errorf("--scenario %s: %v", sc.Name, err)}
	}
	for _, f := range files {
		if err := writeFileFresh(f.path, f.data, f.perm); err != nil {
			return "", "", cleanup, fmt.Errorf("--scenario: %v", err)
		}
	}
	command = "imapprobe " + shellJoin(args)
	fmt.Fprintf(stderr, "fakeimapd: scenario %s; this command gets %s from it:\n    %s\n", sc.Name, wantText(sc.Want), command)
	return command, "", cleanup, nil
}

// wantText is a verdict as --list-scenarios shows it.
func wantText(w scenarios.Want) string {
	s := string(w.Code)
	if w.Step != "" {
		s = w.Step + "/" + s
	}
	for _, warn := range w.Warnings {
		s += " (warning " + string(warn) + ")"
	}
	return s
}
