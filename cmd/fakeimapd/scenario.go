package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/faults"
	"github.com/imapprobe/imapprobe/integration/scenarios"
)

// applyScenario puts the server into a named scenario of the diagnosis
// matrix: its mode (unless --mode was given), faults and auth policy.
func applyScenario(o *options, name string, modeGiven bool) error {
	sc, err := scenarios.Find(name)
	if err != nil {
		return flagError("--scenario", err)
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
	return nil
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
	fmt.Fprintln(w, "\nRun one with: fakeimapd --scenario NAME (see imapprobe demo --scenario NAME -v for the probe settings).")
}
