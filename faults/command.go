package faults

import (
	"fmt"
	"slices"
	"strings"
)

// imapCommands are the IMAP command names a fault may target (IMAP4rev1,
// IMAP4rev2 and common extensions). "*" targets every command, and
// "UID FETCH" style names target only the UID form.
var imapCommands = []string{
	"APPEND", "AUTHENTICATE", "CAPABILITY", "CHECK", "CLOSE", "COMPRESS", "COPY",
	"CREATE", "DELETE", "ENABLE", "EXAMINE", "EXPUNGE", "FETCH", "GETQUOTA",
	"GETQUOTAROOT", "ID", "IDLE", "LIST", "LOGIN", "LOGOUT", "LSUB", "MOVE",
	"NAMESPACE", "NOOP", "RENAME", "SEARCH", "SELECT", "SETQUOTA", "SORT",
	"STARTTLS", "STATUS", "STORE", "SUBSCRIBE", "THREAD", "UNSELECT",
	"UNSUBSCRIBE",
}

// uidCommands may follow "UID ".
var uidCommands = []string{"COPY", "EXPUNGE", "FETCH", "MOVE", "SEARCH", "SORT", "STORE", "THREAD"}

// checkCommand checks the command target in field and returns it
// canonical: "*", or one or more alternatives joined by "|" (SELECT|EXAMINE),
// each a name from imapCommands or "UID " and a name from uidCommands,
// upper-case. extra lists other targets the caller accepts, for the error
// message.
func checkCommand(field, s string, extra ...string) (string, *fieldError) {
	up := asciiUpper(s)
	if up == "*" {
		return up, nil
	}
	alts, written := strings.Split(up, "|"), strings.Split(s, "|")
	for i, name := range alts {
		if e := checkOneCommand(field, name, written[i], extra); e != nil {
			if len(alts) > 1 {
				e.problem += fmt.Sprintf(" in %q", s)
			}
			return "", e
		}
		if slices.Contains(alts[:i], name) {
			return "", &fieldError{field, fmt.Sprintf("%s named twice in %q", name, s), "name each command once"}
		}
	}
	return up, nil
}

// canonCommand checks the command target *target as checkCommand does,
// and makes it canonical.
func canonCommand(field string, target *string, extra ...string) *fieldError {
	cmd, e := checkCommand(field, *target, extra...)
	if e == nil {
		*target = cmd
	}
	return e
}

// checkOneCommand checks one alternative of a command target.
// written is its spelling in the spec, for the error message.
func checkOneCommand(field, up, written string, extra []string) *fieldError {
	if up == "*" {
		return &fieldError{field, `"*" among alternatives`, `"*" already names every command; write it alone`}
	}
	if name, ok := strings.CutPrefix(up, "UID "); ok {
		if slices.Contains(uidCommands, name) {
			return nil
		}
		return &fieldError{field, fmt.Sprintf("unknown command %q", written),
			"UID may precede: " + strings.Join(uidCommands, ", ")}
	}
	if slices.Contains(imapCommands, up) {
		return nil
	}
	valid := append(slices.Clip(extra), "*")
	valid = append(valid, imapCommands...)
	return &fieldError{field, fmt.Sprintf("unknown command %q", written),
		"valid: " + strings.Join(valid, ", ") + " (or UID COPY, UID FETCH, ...; alternatives as SELECT|EXAMINE)"}
}

// matchCommand reports whether a target from checkCommand names cmd.
func matchCommand(target string, cmd Command) bool {
	if target == "*" {
		return true
	}
	for alt := range strings.SplitSeq(target, "|") {
		if name, ok := strings.CutPrefix(alt, "UID "); ok {
			if cmd.UID && cmd.Name == name {
				return true
			}
		} else if cmd.Name == alt {
			return true
		}
	}
	return false
}

// cutCommand splits "COMMAND=VALUE" args; what names VALUE in errors.
func cutCommand(spec, args, kind, what string) (command, value string, err error) {
	name, value, ok := strings.Cut(args, "=")
	if !ok || name == "" {
		return "", "", specError(spec, "missing \"=\"",
			fmt.Sprintf("write %s:COMMAND=%s", kind, what))
	}
	return name, value, nil
}
