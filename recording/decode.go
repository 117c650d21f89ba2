package recording

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxSize bounds what Decode reads: a recording is a short session.
const MaxSize = 16 << 20

// Decode reads a v1 recording. An error is one line, "recording line N:
// ...", naming the first bad line.
func Decode(rd io.Reader) (*Recording, error) {
	r := &Recording{}
	sc := bufio.NewScanner(io.LimitReader(rd, MaxSize+1))
	sc.Buffer(make([]byte, 0, 4096), MaxSize)
	n, size := 0, 0
	seen := map[string]bool{}
	for sc.Scan() {
		n++
		raw := sc.Text()
		size += len(raw) + 1
		if size > MaxSize {
			return nil, fmt.Errorf("recording line %d: the recording is over %d bytes", n, MaxSize)
		}
		line := strings.TrimSuffix(raw, "\r")
		if n == 1 {
			if line != Header {
				return nil, fmt.Errorf("recording line 1: want the header %q, got %q", Header, cut(line))
			}
			continue
		}
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := r.decodeLine(line, seen); err != nil {
			return nil, fmt.Errorf("recording line %d: %w", n, err)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("recording line %d: a line over %d bytes", n+1, MaxSize)
		}
		return nil, fmt.Errorf("recording line %d: %w", n+1, err)
	}
	if n == 0 {
		return nil, fmt.Errorf("recording line 1: empty: want the header %q", Header)
	}
	if r.TLS == "" {
		return nil, fmt.Errorf("recording line %d: no tls line (tls implicit|starttls|none)", n)
	}
	return r, nil
}

// once are the keywords that may appear only once.
var once = map[string]bool{"tls": true, "user": true, "mailbox": true, "auth": true, "select": true,
	"step-timeout": true, "slow": true, "connected": true, "end": true}

func (r *Recording) decodeLine(line string, seen map[string]bool) error {
	if !utf8.ValidString(line) {
		return errors.New("invalid UTF-8")
	}
	key, val, _ := strings.Cut(line, " ")
	if once[key] {
		if seen[key] {
			return fmt.Errorf("a second %s line", key)
		}
		seen[key] = true
	}
	if key != "select" && val == "" && key != "S" && key != "S!" && key != "C" {
		return fmt.Errorf("%s needs a value", key)
	}
	var err error
	switch key {
	case "tls":
		r.TLS = val
		err = checkTLS(val)
	case "user":
		r.User, err = val, CheckText(val)
	case "mailbox":
		r.Mailbox, err = val, CheckText(val)
	case "auth":
		r.Auth = val
		if !isWord(val) {
			err = fmt.Errorf("auth %q: want a mechanism name such as plain", cut(val))
		}
	case "select":
		if val != "" {
			return errors.New("select takes no value")
		}
		r.Select = true
	case "step-timeout":
		r.StepTimeout, err = duration(val)
	case "slow":
		r.Slow, err = duration(val)
	case "connected":
		r.Connected, err = parseSeconds(val)
	case "step":
		var s Step
		s, err = parseStep(val)
		r.Steps = append(r.Steps, s)
	case "info":
		var at time.Duration
		var text string
		at, text, err = timed(val)
		r.Infos = append(r.Infos, Info{At: at, Text: text})
	case "S", "S!", "C":
		var at time.Duration
		var text string
		at, text, err = timed(val)
		r.Lines = append(r.Lines, Line{Dir: Dir(key[:1]), At: at, Text: text, Partial: key == "S!"})
	case "end":
		r.End = val
		err = checkEnd(val)
	default:
		err = fmt.Errorf("unknown keyword %q (want tls, user, mailbox, auth, select, step-timeout, slow, connected, step, info, S, S!, C or end)", cut(key))
	}
	return err
}

// isWord is ^[a-z][a-z0-9_-]*$, and isCode ^[a-z]+\.[a-z_]+$, by hand:
// a regexp would be compiled at every imapprobe start-up.
func isWord(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || i > 0 && (c >= '0' && c <= '9' || c == '_' || c == '-')) {
			return false
		}
	}
	return s != ""
}

func isCode(s string) bool {
	area, kind, ok := strings.Cut(s, ".")
	if !ok || area == "" || kind == "" {
		return false
	}
	for i := 0; i < len(area); i++ {
		if area[i] < 'a' || area[i] > 'z' {
			return false
		}
	}
	for i := 0; i < len(kind); i++ {
		if c := kind[i]; (c < 'a' || c > 'z') && c != '_' {
			return false
		}
	}
	return true
}

var statuses = map[string]bool{"ok": true, "warn": true, "fail": true, "skipped": true, "not_requested": true}

func parseStep(val string) (Step, error) {
	f := strings.Fields(val)
	if len(f) < 2 {
		return Step{}, errors.New("step needs a name and a status: step auth fail auth.failed")
	}
	s := Step{Name: f[0], Status: f[1], Codes: f[2:]}
	return s, s.check()
}

func (s Step) check() error {
	if !isWord(s.Name) {
		return fmt.Errorf("step name %q: want a lowercase word such as auth", cut(s.Name))
	}
	if !statuses[s.Status] {
		return fmt.Errorf("step %s: status %q: want ok, warn, fail, skipped or not_requested", s.Name, cut(s.Status))
	}
	for _, c := range s.Codes {
		if !isCode(c) {
			return fmt.Errorf("step %s: code %q: want a diagnosis code such as auth.failed", s.Name, cut(c))
		}
	}
	if s.Status == "fail" && len(s.Codes) == 0 {
		return fmt.Errorf("step %s: a failed step needs its code", s.Name)
	}
	if (s.Status == "ok" || s.Status == "skipped" || s.Status == "not_requested") && len(s.Codes) > 0 {
		return fmt.Errorf("step %s: status %s takes no code", s.Name, s.Status)
	}
	return nil
}

// timed splits "SECONDS TEXT".
func timed(val string) (time.Duration, string, error) {
	secs, text, _ := strings.Cut(val, " ")
	at, err := parseSeconds(secs)
	if err != nil {
		return 0, "", err
	}
	return at, text, CheckText(text)
}

func parseSeconds(s string) (time.Duration, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f > 1e6 || strings.ContainsAny(s, "eEinfINFxX_+-") {
		return 0, fmt.Errorf("time %q: want decimal seconds such as 0.012500", cut(s))
	}
	return time.Duration(f*1e6+0.5) * time.Microsecond, nil
}

func duration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("duration %q: want a positive Go duration such as 400ms", cut(s))
	}
	return d, nil
}

func checkTLS(v string) error {
	switch v {
	case "implicit", "starttls", "none":
		return nil
	}
	return fmt.Errorf("tls %q: want implicit, starttls or none", cut(v))
}

// CheckText refuses what an escaped transcript text never holds.
func CheckText(s string) error {
	if !utf8.ValidString(s) {
		return errors.New("invalid UTF-8")
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			return fmt.Errorf("a raw control character 0x%02x: write it as a Go escape (\\r, \\x%02x)", c, c)
		}
	}
	return nil
}

// cut shortens a quoted piece of a bad line.
func cut(s string) string {
	if len(s) > 40 {
		i := 40
		for i > 0 && !utf8.RuneStart(s[i]) {
			i--
		}
		return s[:i] + "…"
	}
	return s
}

// Validate checks a Recording built in Go, as Decode checks a file.
func (r *Recording) Validate() error {
	if err := checkTLS(r.TLS); err != nil {
		return err
	}
	for _, t := range []string{r.User, r.Mailbox} {
		if err := CheckText(t); err != nil {
			return err
		}
	}
	if r.Auth != "" && !isWord(r.Auth) {
		return fmt.Errorf("auth %q: want a mechanism name such as plain", cut(r.Auth))
	}
	for _, s := range r.Steps {
		if err := s.check(); err != nil {
			return err
		}
	}
	for _, c := range r.Comments {
		if err := CheckText(c); err != nil {
			return fmt.Errorf("comment: %w", err)
		}
	}
	for _, in := range r.Infos {
		if err := CheckText(in.Text); err != nil {
			return fmt.Errorf("info: %w", err)
		}
	}
	for i, l := range r.Lines {
		if l.Dir != Server && l.Dir != Client {
			return fmt.Errorf("line %d: direction %q: want S or C", i, l.Dir)
		}
		if l.Partial && l.Dir != Server {
			return fmt.Errorf("line %d: only a server line can be partial", i)
		}
		if l.At < 0 {
			return fmt.Errorf("line %d: negative time", i)
		}
		if err := CheckText(l.Text); err != nil {
			return fmt.Errorf("line %d: %w", i, err)
		}
	}
	if r.End != "" {
		return checkEnd(r.End)
	}
	return nil
}

func checkEnd(v string) error {
	switch v {
	case EndServer, EndReset, EndClient:
		return nil
	}
	return fmt.Errorf("end %q: want server, reset or client", cut(v))
}
