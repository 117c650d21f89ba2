package fakeserver

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/imapprobe/imapprobe/faults"
)

// readFaults reads a control request body: text specs (one a line, blank
// lines and # comments skipped) or JSON, whose fault objects and statuses
// may carry a "name". A body over maxControlBody is a 413.
func readFaults(w http.ResponseWriter, r *http.Request) ([]namedFault, error) {
	body := bufio.NewReader(http.MaxBytesReader(w, r.Body, maxControlBody))
	var (
		set   faults.Set
		names []string
		err   error
	)
	if isTextSpecs(r.Header.Get("Content-Type"), body) {
		set, err = readSpecs(body)
	} else {
		var data []byte
		if data, err = io.ReadAll(body); err == nil {
			if names, data, err = takeNames(data); err == nil {
				set, err = faults.Decode(bytes.NewReader(data))
			}
		}
	}
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return nil, apiError{http.StatusRequestEntityTooLarge, fmt.Sprintf("body over %d bytes: send fewer faults", maxControlBody)}
	}
	if err != nil {
		return nil, err
	}
	if names != nil && len(names) != len(set) {
		return nil, fmt.Errorf("read %d faults for %d entries", len(set), len(names))
	}
	out := make([]namedFault, len(set))
	for i, f := range set {
		out[i].fault = f
		if names != nil {
			out[i].name = names[i]
		}
	}
	return out, nil
}

func readSpecs(body io.Reader) (faults.Set, error) {
	type specLine struct {
		n    int
		spec string
	}
	var specs []specLine
	sc := bufio.NewScanner(body)
	sc.Buffer(nil, maxControlBody)
	lines := 0
	for sc.Scan() {
		lines++
		if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
			specs = append(specs, specLine{lines, line})
		}
	}
	if err := sc.Err(); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, err
		}
		return nil, fmt.Errorf("read specs: %w", err)
	}
	set := make(faults.Set, 0, len(specs))
	for _, s := range specs {
		f, err := faults.Parse(s.spec)
		if err != nil && lines > 1 {
			// a body of many specs: say which line, as a faults file does
			err = fmt.Errorf("line %d: %w", s.n, err)
		}
		if err != nil {
			return nil, err
		}
		set = append(set, f)
	}
	return set, nil
}

// takeNames takes the names out of a JSON body for faults.Decode, which
// knows no "name" field, and returns one name ("" for none) per entry:
//   - an array: each entry a spec string, a fault object or a status
//     {"name","spec","fault","fired"} as GET /faults lists, which becomes
//     its "fault" (or, without one, its "spec");
//   - {"faults": ARRAY}, the faults file form;
//   - any other object, as a one-entry array.
//
// JSON it cannot read goes to faults.Decode as it is, with nil names, so
// that the error is the one a faults file gets.
func takeNames(data []byte) ([]string, []byte, error) {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '{' {
		members, ok := objectMembers(data)
		if !ok {
			return nil, data, nil
		}
		at := -1
		for i, m := range members {
			// encoding/json, in faults.Decode, matches the key so.
			if !strings.EqualFold(m.key, "faults") {
				continue
			}
			if at >= 0 {
				return nil, nil, errors.New(`"faults" is given twice; give the list once`)
			}
			at = i
		}
		if at >= 0 {
			names, arr, err := takeArrayNames(members[at].value)
			members[at].value = arr
			return names, joinMembers(members), err
		}
		data = append(append([]byte("["), data...), ']')
	}
	return takeArrayNames(data)
}

func takeArrayNames(data []byte) ([]string, []byte, error) {
	var entries []json.RawMessage
	if json.Unmarshal(data, &entries) != nil {
		return nil, data, nil
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		members, ok := objectMembers(e)
		if !ok {
			continue // a spec string, or what faults.Decode refuses
		}
		kept := members[:0:0]
		byKey := map[string]json.RawMessage{}
		for _, m := range members {
			switch {
			case m.key != "name":
				kept = append(kept, m)
			case byKey["name"] != nil:
				return nil, nil, fmt.Errorf(`fault entry %d: "name" is given twice; give it once`, i+1)
			case json.Unmarshal(m.value, &names[i]) != nil:
				return nil, nil, fmt.Errorf(`fault entry %d: "name" must be a JSON string such as "slow-select", got %s`, i+1, abbrev(string(m.value)))
			}
			byKey[m.key] = m.value
		}
		switch {
		case byKey["kind"] == nil && byKey["fault"] != nil:
			entries[i] = byKey["fault"] // a status, as GET lists it
		case byKey["kind"] == nil && byKey["spec"] != nil:
			entries[i] = byKey["spec"]
		case len(kept) < len(members):
			entries[i] = joinMembers(kept)
		}
	}
	out := append([]byte{'['}, bytes.Join(rawBytes(entries), []byte{','})...)
	return names, append(out, ']'), nil
}

func rawBytes(entries []json.RawMessage) [][]byte {
	out := make([][]byte, len(entries))
	for i, e := range entries {
		out[i] = e
	}
	return out
}

// member is one member of a JSON object, its value as written.
type member struct {
	key   string
	value json.RawMessage
}

// objectMembers lists the members of a JSON object in order, duplicates
// kept (faults.Decode refuses a field given twice); ok is false for
// anything but one object.
func objectMembers(data []byte) ([]member, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	var out []member
	for dec.More() {
		tok, err := dec.Token()
		key, ok := tok.(string)
		if err != nil || !ok {
			return nil, false
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, false
		}
		out = append(out, member{key, v})
	}
	if _, err := dec.Token(); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	return out, true
}

func joinMembers(members []member) []byte {
	b := []byte{'{'}
	for i, m := range members {
		if i > 0 {
			b = append(b, ',')
		}
		k, _ := json.Marshal(m.key)
		b = append(append(append(b, k...), ':'), m.value...)
	}
	return append(b, '}')
}

// isTextSpecs says whether a body holds text specs, one a line, rather
// than JSON: text/plain says so, application/json says not, and anything
// else (curl --data sends a form type) is JSON only if it starts with [ or {.
func isTextSpecs(contentType string, body *bufio.Reader) bool {
	switch ct, _, _ := mime.ParseMediaType(contentType); ct {
	case "text/plain":
		return true
	case "application/json":
		return false
	}
	for {
		b, err := body.Peek(1)
		if err != nil {
			return true
		}
		switch b[0] {
		case ' ', '\t', '\r', '\n':
			_, _ = body.ReadByte()
		case '[', '{':
			return false
		default:
			return true
		}
	}
}
