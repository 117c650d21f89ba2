package prober

import "github.com/imapprobe/imapprobe/internal/wiretap"

func (p *probe) logout(s *Step) bool {
	first := p.rec.Len()
	err := p.ensureClient().Logout().Wait()
	if err == nil {
		return true
	}
	if p.feed.err() != nil && p.byeSince(first) {
		s.Note = "server sent BYE and closed without a tagged OK"
		return true
	}
	return p.failCommand(s, StepLogout, "", err)
}

func (p *probe) byeSince(first int) bool {
	for _, l := range p.rec.Lines(first) {
		if l.Dir == wiretap.Server && !l.Incomplete && isUntagged(l.Text, "BYE") {
			return true // a whole BYE line: cut mid-line is a drop, not a goodbye
		}
	}
	return false
}
