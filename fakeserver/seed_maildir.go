package fakeserver

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-imap/v2"
	"github.com/imapprobe/imapprobe/internal/mutf7"
)

// Maildir++ as Dovecot and mbsync write it: the root's cur/ and new/ are
// INBOX, a directory ".Sub.Folder" is the mailbox "Sub/Folder" (its name
// in modified UTF-7, RFC 3501 5.1.3), and a message's flags are the
// letters after ":2," in its file name.

// LoadMaildir reads a Maildir++ directory: INBOX from its cur/ and new/,
// and each ".A.B" folder as mailbox "A/B". In each mailbox the messages
// are in the order of their file names (which start with the delivery
// time), their internal date is the file's modification time, as
// Dovecot takes it, and their flags come from the ":2," info suffix: D
// \Draft, F \Flagged, R \Answered, S \Seen, T \Deleted, and a to z the
// keywords the dovecot-keywords file numbers 0 to 25. Messages in new/
// have none. Top-level Drafts, Junk, Trash, Sent and "Sent Messages"
// get the special-use attribute Dovecot's default configuration
// (15-mailboxes.conf) gives them. A folder's parent without a directory of its own is listed
// \Noselect, as Dovecot lists it.
func LoadMaildir(dir string) ([]SeedMailbox, error) {
	if fi, err := os.Stat(filepath.Join(dir, "cur")); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("%s: a directory seed must be a Maildir, with a cur/ directory (or give a JSON, YAML or mbox file)", dir)
	}
	keywords, err := dovecotKeywords(filepath.Join(dir, "dovecot-keywords"))
	if err != nil {
		return nil, err
	}
	inbox, err := loadMaildirBox(dir, "INBOX", keywords)
	if err != nil {
		return nil, err
	}
	boxes := []SeedMailbox{inbox}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, e := range entries { // ReadDir sorts by name
		if !e.IsDir() || !strings.HasPrefix(e.Name(), ".") || e.Name() == "." || e.Name() == ".." {
			continue
		}
		sub := filepath.Join(dir, e.Name())
		if _, err := os.Stat(filepath.Join(sub, "cur")); err != nil {
			continue // not a folder (e.g. .Trash of some other tool)
		}
		name, err := maildirFolderName(e.Name())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", sub, err)
		}
		kw, err := dovecotKeywords(filepath.Join(sub, "dovecot-keywords"))
		if err != nil {
			return nil, err
		}
		mb, err := loadMaildirBox(sub, name, kw)
		if err != nil {
			return nil, err
		}
		if a, ok := dovecotSpecialUse[name]; ok {
			mb.SpecialUse = []imap.MailboxAttr{a}
		}
		boxes = append(boxes, mb)
	}
	return boxes, nil
}

func loadMaildirBox(dir, name string, keywords []string) (SeedMailbox, error) {
	mb := SeedMailbox{Name: name}
	type file struct{ path, name string }
	var files []file
	for _, sub := range []string{"cur", "new"} {
		entries, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil && !(sub == "new" && os.IsNotExist(err)) {
			return mb, err
		}
		for _, e := range entries {
			if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") {
				files = append(files, file{filepath.Join(dir, sub, e.Name()), e.Name()})
			}
		}
	}
	slices.SortFunc(files, func(a, b file) int { return strings.Compare(a.name, b.name) })
	for _, f := range files {
		flags, err := maildirFlags(f.name, keywords)
		if err != nil {
			return mb, fmt.Errorf("%s: %w", f.path, err)
		}
		raw, err := os.ReadFile(f.path)
		if err != nil {
			return mb, err
		}
		fi, err := os.Stat(f.path)
		if err != nil {
			return mb, err
		}
		if len(raw) == 0 {
			return mb, fmt.Errorf("%s: empty message", f.path)
		}
		mb.Messages = append(mb.Messages, SeedMessage{Raw: raw, Flags: flags, InternalDate: fi.ModTime().UTC()})
	}
	return mb, nil
}

// dovecotSpecialUse is Dovecot 2.3's default 15-mailboxes.conf.
var dovecotSpecialUse = map[string]imap.MailboxAttr{
	"Drafts": imap.MailboxAttrDrafts, "Junk": imap.MailboxAttrJunk, "Trash": imap.MailboxAttrTrash,
	"Sent": imap.MailboxAttrSent, "Sent Messages": imap.MailboxAttrSent,
}

// maildirFlagLetters are the flags of the Maildir spec that IMAP has; P
// (passed) has no IMAP flag and is skipped.
var maildirFlagLetters = map[byte]imap.Flag{
	'D': imap.FlagDraft, 'F': imap.FlagFlagged, 'R': imap.FlagAnswered,
	'S': imap.FlagSeen, 'T': imap.FlagDeleted,
}

// maildirFlags reads the flags of a file name "unique:2,FLAGS"; a name
// without ":2," has none, and ":1," (experimental info) is ignored as
// the spec says.
func maildirFlags(name string, keywords []string) ([]imap.Flag, error) {
	i := strings.LastIndex(name, ":")
	if i < 0 {
		return nil, nil
	}
	info := name[i+1:]
	letters, ok := strings.CutPrefix(info, "2,")
	if !ok {
		if strings.HasPrefix(info, "1,") {
			return nil, nil
		}
		return nil, fmt.Errorf("info %q: want \":2,\" and flag letters", info)
	}
	var flags []imap.Flag
	for j := 0; j < len(letters); j++ {
		c := letters[j]
		switch {
		case c == 'P':
			continue
		case maildirFlagLetters[c] != "":
			flags = append(flags, maildirFlagLetters[c])
		case 'a' <= c && c <= 'z':
			k := int(c - 'a')
			if k >= len(keywords) || keywords[k] == "" {
				return nil, fmt.Errorf("keyword letter %q: dovecot-keywords has no keyword %d", c, k)
			}
			flags = append(flags, imap.Flag(keywords[k]))
		default:
			return nil, fmt.Errorf("info %q: unknown flag letter %q", info, c)
		}
	}
	return flags, nil
}

// dovecotKeywords reads Dovecot's dovecot-keywords ("N keyword" lines);
// a missing file is no keywords.
func dovecotKeywords(path string) ([]string, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	kw := make([]string, 26)
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		num, name, ok := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		if !ok && num == "" {
			continue
		}
		k, err := strconv.Atoi(num)
		if !ok || err != nil || k < 0 || k >= 26 || checkSeedFlag(imap.Flag(name)) != nil || strings.HasPrefix(name, `\`) {
			return nil, fmt.Errorf("%s line %d: want \"N keyword\" with N from 0 to 25", path, n)
		}
		kw[k] = name
	}
	return kw, sc.Err()
}

// maildirFolderName turns ".Sub.Folder" into "Sub/Folder".
func maildirFolderName(dir string) (string, error) {
	rest, ok := strings.CutPrefix(dir, ".")
	if !ok {
		return "", fmt.Errorf("folder %q: a Maildir++ folder starts with \".\"", dir)
	}
	levels := strings.Split(rest, ".")
	for i, l := range levels {
		if l == "" {
			return "", fmt.Errorf("folder %q: empty level between \".\" separators", dir)
		}
		dec, err := mutf7.Decode(l)
		if err != nil {
			return "", fmt.Errorf("folder %q: %w", dir, err)
		}
		if !utf8.ValidString(dec) {
			return "", fmt.Errorf("folder %q: not UTF-8 (nor modified UTF-7)", dir)
		}
		if strings.ContainsRune(dec, mailDelim) {
			return "", fmt.Errorf("folder %q: a level holds %q, the hierarchy delimiter", dir, mailDelim)
		}
		levels[i] = dec
	}
	name := strings.Join(levels, string(mailDelim))
	if err := checkMailboxName(name); err != nil {
		return "", err
	}
	return name, nil
}
