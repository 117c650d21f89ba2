package main

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/imapprobe/imapprobe/prober"
	"github.com/imapprobe/imapprobe/recording"
)

// writeRecording writes the probe's session to path (--record), in one
// write so that a failed probe never leaves half a file; false when it
// could not, said in one line.
func writeRecording(path string, rep *prober.Report, o prober.Options, stderr io.Writer) bool {
	var buf bytes.Buffer
	err := recording.Encode(&buf, rep.Recording(o))
	if err == nil {
		err = os.WriteFile(path, buf.Bytes(), 0o644)
	}
	if err != nil {
		fmt.Fprintf(stderr, "imapprobe: --record: %v\n", err)
		return false
	}
	return true
}
