package prober

import "github.com/imapprobe/imapprobe/internal/wiretap"

func (p *probe) logout(in session, s *Step) (session, bool) {
	in = in.withClient()
	first := p.rec.Len()
	err := in.imap.client.Logout().Wait()
	if err == nil {
		return in, true
	}
	if in.imap.feed.err() != nil && p.byeSince(first) {
		s.Note = "server sent BYE and closed without a tagged OK"
		return in, true
	}
	return in, p.failCommand(s, in.imap, StepLogout, "", err)
}

func (p *probe) byeSince(first int) bool {
	for _, l := range p.rec.Lines(first) {
		if l.Dir == wiretap.Server && !l.Incomplete && isUntagged(l.Text, "BYE") {
			return true // a whole BYE line: cut mid-line is a drop, not a goodbye
		}
	}
	return false
}
