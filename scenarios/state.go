package scenarios

// stateScenarios are the state faults (issue 11) the prober's one walk
// can observe: a mailbox renamed before the session or between LIST and
// EXAMINE, the newest message expunged between EXAMINE and FETCH, and the
// changes a probe must shrug off (new mail, flags changed, a new
// UIDVALIDITY, which one session cannot tell from the old). The prober
// never IDLEs or APPENDs, so the IDLE drop, changes during IDLE and an
// over-quota APPEND have no scenario.
var stateScenarios = []Scenario{
	{Name: "mailbox-renamed-elsewhere", Situation: "another client renamed the mailbox just before this session",
		Faults: []string{"rename:LOGIN|AUTHENTICATE=Sent>Sent Items"}, Probe: Probe{Mailbox: "Sent"},
		Want: Want{Step: "select", Code: "mailbox.not_found"}},
	{Name: "mailbox-renamed-after-list", Situation: "the mailbox is renamed between LIST and EXAMINE",
		Faults: []string{"rename:SELECT|EXAMINE=INBOX>Old INBOX"},
		Want:   Want{Step: "select", Code: "mailbox.not_found"}},
	{Name: "message-expunged-before-fetch", Situation: "another client expunges the newest message between EXAMINE and FETCH",
		Faults: []string{"expunge:FETCH=INBOX,last"}, Want: Want{Step: "fetch", Code: "fetch.failed"}},
	{Name: "new-mail-mid-session", Situation: "new mail arrives while the mailbox is open (untagged EXISTS)",
		Faults: []string{"newmail:FETCH=INBOX,count=2"}, Want: Want{Code: OK}},
	{Name: "flags-changed-elsewhere", Situation: "another client marks every message read while the mailbox is open (untagged FETCH)",
		Faults: []string{`flags:FETCH=INBOX,+\Seen,all`}, Want: Want{Code: OK}},
	{Name: "uidvalidity-changed", Situation: "the server rebuilt its index: INBOX has a new UIDVALIDITY at this session",
		Faults: []string{"uidvalidity:LOGIN|AUTHENTICATE=INBOX"}, Want: Want{Code: OK}},
}
