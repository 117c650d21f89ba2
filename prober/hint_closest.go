package prober

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// closestHint names the existing mailboxes closest to the wanted one, or,
// when none is similar, the first few there are.
func (p *probe) closestHint(mb mailboxState) string {
	if mb.listed && mb.count == 0 {
		return "LIST returned no mailbox at all, not even INBOX: the account exists but has no mail storage. Check the server's mailbox autocreation (Cyrus autocreate_inbox_folders, Dovecot auto = create) or the account's provisioning."
	}
	if mb.has(p.t.Mailbox) {
		// the name itself is no hint: LIST and SELECT disagree
		return "LIST names this mailbox, yet the server will not open it: it may be a placeholder that cannot be selected (\\Noselect in LIST's attributes), or visible without the read right (ACL), or not yet on the replica that answered. Check the mailbox's LIST attributes and its rights (GETACL, doveadm acl get, cyradm lam)."
	}
	names := closest(p.t.Mailbox, mb.names, 3, p.deadline)
	intro, more := "Closest existing mailboxes: ", ""
	if len(names) == 0 {
		if len(mb.names) == 0 {
			return catalog()["mailbox.not_found"].Fix
		}
		names = mb.names[:min(5, len(mb.names))]
		intro = fmt.Sprintf("No similar name among the %d listed mailboxes; they include ", len(mb.names))
		if len(names) < len(mb.names) {
			more = fmt.Sprintf(" and %d more", len(mb.names)-len(names))
		}
	}
	q := make([]string, len(names))
	for i, b := range names {
		q[i] = quote([]byte(b))
	}
	return intro + strings.Join(q, ", ") + more + ". Pass one with --mailbox or in the URL path."
}

// closest returns up to n names ordered by edit distance to want
// (case-insensitive), keeping only plausible matches. Its work is bounded
// by hintCells and by the deadline.
func closest(want string, names []string, n int, deadline time.Time) []string {
	type cand struct {
		name string
		dist int
	}
	if len(want) > maxHintName {
		return nil
	}
	var cands []cand
	lw := strings.ToLower(want)
	limit := max(3, len([]rune(want))/2)
	budget := hintCells
	for i, name := range names {
		if i%256 == 0 && !deadline.IsZero() && !time.Now().Before(deadline) {
			break
		}
		ln := strings.ToLower(name)
		if strings.Contains(ln, lw) || strings.Contains(lw, ln) {
			cands = append(cands, cand{name, abs(len(ln) - len(lw))})
			continue
		}
		if abs(len(ln)-len(lw)) > 4*limit { // bytes: up to 4 per rune
			continue // the distance is at least the length difference
		}
		if budget -= len(ln) * len(lw); budget < 0 {
			break
		}
		if dist := editDistance(lw, ln); dist <= limit {
			cands = append(cands, cand{name, dist})
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].dist < cands[j].dist })
	var out []string
	for _, c := range cands[:min(n, len(cands))] {
		out = append(out, c.name)
	}
	return out
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
