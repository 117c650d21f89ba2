package scenarios

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"strings"

	"github.com/imapprobe/imapprobe/recording"
)

// The catalog's recordings: sessions recorded against real servers (or,
// for a provider's words no test can reach, written by hand from them),
// kept in recordings/ and compiled in. Each is a scenario of its own,
// served by a replay, in All like the fake's.

//go:embed recordings/*.rec
var recordedFS embed.FS

// recordedSituations tells each kept recording's story; every file in
// recordings/ must have one (TestRecordedCatalog).
var recordedSituations = map[string]string{
	"gmail-app-password":     "Gmail refuses the account password of an account with 2-step verification: it wants an app password (hand-written from Gmail's words)",
	"dovecot-wrong-password": "a real Dovecot 2.3 refuses a wrong password, after its auth-failure delay (recorded)",
	"dovecot-acl-denied":     "a real Dovecot 2.3 lists a mailbox its ACL forbids the user to open (recorded)",
	"dovecot-fetch-cut":      "a real Dovecot 2.3's FETCH response is cut after 20 bytes by the fault proxy in front of it (recorded)",
}

// recorded returns the kept recordings as scenarios, in name order. A
// kept file that does not decode is a build defect: it panics, and
// TestRecordedCatalog says which.
func recorded() []Scenario {
	out, err := fromFS(recordedFS, "recordings", "scenarios/recordings")
	if err != nil {
		panic("scenarios: " + err.Error())
	}
	for i := range out {
		if s, ok := recordedSituations[out[i].Name]; ok {
			out[i].Situation = s
		}
	}
	return out
}

// fromFS loads every *.rec file in dir of fsys as a scenario named after
// the file. An error names the file as in shown, the directory's name.
func fromFS(fsys fs.FS, dir, shown string) ([]Scenario, error) {
	paths, err := fs.Glob(fsys, path.Join(dir, "*"+RecordingExt))
	if err != nil {
		return nil, err
	}
	var out []Scenario
	for _, p := range paths {
		f, err := fsys.Open(p)
		if err != nil {
			return nil, err
		}
		rec, err := recording.Decode(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(shown, path.Base(p)), err)
		}
		sc := FromRecording(strings.TrimSuffix(path.Base(p), RecordingExt), rec)
		sc.Situation = "a replay of " + path.Base(p)
		out = append(out, sc)
	}
	return out, nil
}
