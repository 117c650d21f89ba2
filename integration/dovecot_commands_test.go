package integration

import (
	"slices"
	"strings"
	"testing"

	"github.com/imapprobe/imapprobe/integration/realservers"
	"github.com/imapprobe/imapprobe/internal/wiretap"
	"github.com/imapprobe/imapprobe/prober"
)

// TestDovecotCommandCount: against Dovecot, whose greeting and tagged
// AUTHENTICATE OK both carry [CAPABILITY], a default probe sends 5
// commands; STARTTLS adds itself and the CAPABILITY it requires.
func TestDovecotCommandCount(t *testing.T) {
	t.Parallel()
	eachLauncher(t, func(t *testing.T, l realservers.Launcher) {
		t.Parallel()
		d := dovecotServer{startDovecot(t, l, realservers.Config{})}
		cases := []struct {
			sit  situation
			want []string
		}{
			{situation{name: "implicit", tls: prober.TLSImplicit, onTLSPort: true, password: realservers.DefaultPassword},
				[]string{"AUTHENTICATE", "LIST", "EXAMINE", "FETCH", "LOGOUT"}},
			{situation{name: "starttls", tls: prober.TLSStartTLS, password: realservers.DefaultPassword},
				[]string{"STARTTLS", "CAPABILITY", "AUTHENTICATE", "LIST", "EXAMINE", "FETCH", "LOGOUT"}},
		}
		for _, tc := range cases {
			rep := tc.sit.probe(t, d)
			if rep.Result.Status != prober.StatusOK {
				t.Fatalf("%s: result %+v, want OK", tc.sit.name, rep.Result)
			}
			if got := commandsSent(rep); !slices.Equal(got, tc.want) {
				t.Errorf("%s: commands %q, want %q", tc.sit.name, got, tc.want)
			}
		}
	})
}

// commandsSent lists the command names of the client's tagged lines.
func commandsSent(rep *prober.Report) []string {
	var out []string
	for _, s := range rep.Steps {
		for _, l := range s.Transcript {
			if l.Dir != wiretap.Client {
				continue
			}
			if f := strings.Fields(l.Text); len(f) >= 2 && f[0] != "+" {
				out = append(out, strings.ToUpper(f[1]))
			}
		}
	}
	return out
}
