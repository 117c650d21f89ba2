package fakeserver

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/emersion/go-imap/v2"
)

// The JSON and YAML seed files. Both are read into one tree of nodes that
// keeps each value's line, and one walker turns the tree into a Seed, so
// that every mistake is one line naming the field's path and its line,
// and none quotes a secret (encoding/json's and yaml's own errors may).

// maxSeedFile bounds a seed file: it is read whole.
const maxSeedFile = 64 << 20

// LoadSeed reads a seed: a JSON (.json) or YAML (.yaml, .yml) file, a
// Maildir directory (LoadMaildir), or an mbox file, recognised by its
// first line "From " or a name ending .mbox or .mbx (LoadMbox, into the
// mailbox named after the file).
// Maildir and mbox mail goes to the server's first user. A mistake is
// one line naming the file, the field's path and line, and what is
// wrong; it is a *SeedError when it is in the seed's content.
func LoadSeed(path string) (*Seed, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		boxes, err := LoadMaildir(path)
		if err != nil {
			return nil, err
		}
		return &Seed{Users: []SeedUser{{Mailboxes: boxes}}}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSeedFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxSeedFile {
		return nil, fmt.Errorf("%s: over %d MiB", path, maxSeedFile>>20)
	}
	if ext := strings.ToLower(filepath.Ext(path)); ext == ".mbox" || ext == ".mbx" || bytes.HasPrefix(data, []byte("From ")) {
		mb, err := parseMbox(path, data, "")
		if err != nil {
			return nil, err
		}
		return &Seed{Users: []SeedUser{{Mailboxes: []SeedMailbox{mb}}}}, nil
	}
	return ParseSeed(path, data)
}

// ParseSeed decodes a JSON or YAML seed; name is the file name for
// errors, and its extension (.json, .yaml, .yml) picks the format, else
// a first "{" means JSON. The line of a YAML syntax error is the one
// yaml.v3 reports, which for an unclosed "[" or "{" is the line before
// it; the lines of every other mistake are the field's own.
func ParseSeed(name string, data []byte) (*Seed, error) {
	var (
		root *node
		err  error
	)
	switch ext := strings.ToLower(filepath.Ext(name)); {
	case ext == ".json", ext != ".yaml" && ext != ".yml" && bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")):
		root, err = jsonTree(data)
	default:
		root, err = yamlTree(data)
	}
	if err != nil {
		var se *SeedError
		if errors.As(err, &se) {
			se.File = name
			return nil, se
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	d := seedDecoder{lines: map[string]int{}}
	sd, err := d.seed(root)
	if err == nil {
		err = sd.check()
	}
	var se *SeedError
	if errors.As(err, &se) {
		se.File = name
		if se.Line == 0 {
			se.Line = d.lineOf(se.Path)
		}
		return nil, se
	}
	return sd, err
}

// seedDecoder walks the tree, noting each path's line for check's errors.
type seedDecoder struct{ lines map[string]int }

// lineOf is the line of path, or of its closest parent.
func (d *seedDecoder) lineOf(path string) int {
	for path != "" {
		if l, ok := d.lines[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 0
}

func (d *seedDecoder) errAt(path string, n *node, format string, args ...any) *SeedError {
	return &SeedError{Path: path, Line: n.line, Msg: fmt.Sprintf(format, args...)}
}

// fields checks n is a mapping with only the known keys, and calls fn
// for each key in the file's order.
func (d *seedDecoder) fields(path string, n *node, known []string, fn func(key, path string, v *node) error) error {
	d.lines[path] = n.line
	if n.kind != mapNode {
		return d.errAt(path, n, "want a mapping of %s, got %s", strings.Join(known, ", "), nodeKindNames[n.kind])
	}
	for i, k := range n.keys {
		p := k
		if strings.ContainsFunc(k, func(r rune) bool { return r != '_' && r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
			p = strconv.Quote(k) // keeps the path one line
		}
		if path != "" {
			p = path + "." + p
		}
		if !slices.Contains(known, k) {
			return d.errAt(p, n.vals[i], "unknown field %q (want %s)", k, strings.Join(known, ", "))
		}
		d.lines[p] = n.vals[i].line
		if err := fn(k, p, n.vals[i]); err != nil {
			return err
		}
	}
	return nil
}

func (d *seedDecoder) list(path string, n *node, fn func(i int, path string, v *node) error) error {
	if n.kind != listNode {
		return d.errAt(path, n, "want a list, got %s", nodeKindNames[n.kind])
	}
	for i, item := range n.items {
		p := fmt.Sprintf("%s[%d]", path, i)
		d.lines[p] = item.line
		if err := fn(i, p, item); err != nil {
			return err
		}
	}
	return nil
}

// str reads a string; secret keeps the value out of the error.
func (d *seedDecoder) str(path string, n *node, secret bool) (string, error) {
	switch {
	case n.kind != scalarNode:
		return "", d.errAt(path, n, "want a string, got %s", nodeKindNames[n.kind])
	case n.str:
		return n.text, nil
	case secret:
		return "", d.errAt(path, n, "want a quoted string")
	}
	return "", d.errAt(path, n, "want a string, got %s: quote it", n.text)
}

func (d *seedDecoder) strs(path string, n *node, secret bool) ([]string, error) {
	var out []string
	err := d.list(path, n, func(_ int, p string, v *node) error {
		s, err := d.str(p, v, secret)
		out = append(out, s)
		return err
	})
	return out, err
}

func (d *seedDecoder) seed(root *node) (*Seed, error) {
	sd := &Seed{}
	err := d.fields("", root, []string{"users"}, func(_, p string, v *node) error {
		return d.list(p, v, func(_ int, p string, v *node) error {
			u, err := d.user(p, v)
			sd.Users = append(sd.Users, u)
			return err
		})
	})
	return sd, err
}

func (d *seedDecoder) user(path string, n *node) (SeedUser, error) {
	var u SeedUser
	err := d.fields(path, n, []string{"name", "password", "tokens", "mailboxes"}, func(k, p string, v *node) error {
		var err error
		switch k {
		case "name":
			u.Name, err = d.str(p, v, false)
		case "password":
			var s string
			s, err = d.str(p, v, true)
			u.Password = Secret(s)
		case "tokens":
			var ts []string
			ts, err = d.strs(p, v, true)
			for _, t := range ts {
				u.Tokens = append(u.Tokens, Secret(t))
			}
		case "mailboxes":
			u.Mailboxes, err = d.mailboxes(p, v)
		}
		return err
	})
	return u, err
}

func (d *seedDecoder) mailboxes(path string, n *node) ([]SeedMailbox, error) {
	var out []SeedMailbox
	err := d.list(path, n, func(_ int, p string, v *node) error {
		mb, err := d.mailbox(p, v)
		out = append(out, mb)
		return err
	})
	return out, err
}

func (d *seedDecoder) mailbox(path string, n *node) (SeedMailbox, error) {
	var mb SeedMailbox
	err := d.fields(path, n, []string{"name", "special_use", "subscribed", "messages", "mailboxes"}, func(k, p string, v *node) error {
		var err error
		switch k {
		case "name":
			mb.Name, err = d.str(p, v, false)
		case "special_use":
			var attrs []string
			attrs, err = d.strs(p, v, false)
			for _, a := range attrs {
				mb.SpecialUse = append(mb.SpecialUse, specialUseAttr(a))
			}
		case "subscribed":
			if v.kind != scalarNode || v.str || (v.text != "true" && v.text != "false") {
				return d.errAt(p, v, "want true or false")
			}
			mb.Subscribed = v.text == "true"
		case "messages":
			err = d.list(p, v, func(_ int, p string, v *node) error {
				m, err := d.message(p, v)
				mb.Messages = append(mb.Messages, m)
				return err
			})
		case "mailboxes":
			mb.Mailboxes, err = d.mailboxes(p, v)
		}
		return err
	})
	if err == nil && mb.Name == "" {
		return mb, d.errAt(path+".name", n, "a mailbox needs a name")
	}
	return mb, err
}

// specialUseAttr spells "sent" or "\sent" as \Sent; anything else is
// left for check to refuse.
func specialUseAttr(s string) imap.MailboxAttr {
	for a := range specialUseAttrs {
		if strings.EqualFold(string(a), s) || strings.EqualFold(string(a), `\`+s) {
			return a
		}
	}
	return imap.MailboxAttr(s)
}

func (d *seedDecoder) message(path string, n *node) (SeedMessage, error) {
	var m SeedMessage
	err := d.fields(path, n, []string{"raw", "flags", "internal_date"}, func(k, p string, v *node) error {
		switch k {
		case "raw":
			s, err := d.str(p, v, false)
			m.Raw = []byte(s)
			return err
		case "flags":
			fs, err := d.strs(p, v, false)
			for _, f := range fs {
				m.Flags = append(m.Flags, imap.Flag(f))
			}
			return err
		case "internal_date":
			if v.kind != scalarNode {
				return d.errAt(p, v, "want a date, got %s", nodeKindNames[v.kind])
			}
			t, err := parseSeedDate(v.text)
			if err != nil {
				return d.errAt(p, v, "%q is not a date: want RFC 3339 (2026-03-02T09:15:00Z) or IMAP's 02-Mar-2026 09:15:00 +0000", v.text)
			}
			m.InternalDate = t
		}
		return nil
	})
	if err == nil && m.Raw == nil {
		return m, d.errAt(path+".raw", n, "a message needs raw, its RFC 5322 text")
	}
	return m, err
}

func parseSeedDate(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "02-Jan-2006 15:04:05 -0700", "2-Jan-2006 15:04:05 -0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("not a date")
}
