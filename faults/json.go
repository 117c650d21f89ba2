package faults

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// The JSON form of a fault is an object with its kind, its own fields and
// its scope:
//
//	{"kind":"delay","target":"SELECT","duration":"2s","user":"alice","nth":2}
//
// Where a list of faults is read, an entry may also be a text spec string.
// The fields are taken as they are: a text is never read for scope options
// or quotes, so Unmarshal(Marshal(f)) gives f back exactly. Field names
// are exact (case-sensitive) and given once; a JSON text must be valid
// UTF-8 without lone UTF-16 surrogates, as nothing is replaced by U+FFFD.

// Marshal returns the JSON form of f, without HTML escaping.
func Marshal(f Fault) ([]byte, error) {
	for _, s := range textFields(f) {
		if i := badUTF8([]byte(s)); i >= 0 {
			return nil, fmt.Errorf("faults: encode %s: invalid UTF-8 (byte %#x at offset %d) in %q", f.Kind(), s[i], i, s)
		}
	}
	fields, err := encodeJSON(f)
	if err != nil {
		return nil, fmt.Errorf("faults: encode %s: %w", f.Kind(), err)
	}
	scope, err := encodeJSON(f.Scope())
	if err != nil {
		return nil, fmt.Errorf("faults: encode %s scope: %w", f.Kind(), err)
	}
	kindJSON, _ := encodeJSON(f.Kind())
	var b bytes.Buffer
	b.WriteString(`{"kind":`)
	b.Write(kindJSON)
	for _, obj := range [][]byte{fields, scope} {
		if inner := obj[1 : len(obj)-1]; len(inner) > 0 {
			b.WriteByte(',')
			b.Write(inner)
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// encodeJSON is json.Marshal without HTML escaping: a reply text such as
// "NO <x> & y" stays readable.
func encodeJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// Unmarshal reads the JSON form of one fault, or a JSON string holding a
// text spec. The fault is checked by the same rules as Parse, and an error
// speaks of JSON fields, not of text syntax.
func Unmarshal(data []byte) (Fault, error) {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '"' {
		var spec string
		if err := json.Unmarshal(data, &spec); err != nil {
			return nil, fmt.Errorf("faults: bad JSON string %s: %v", abbrev(data), err)
		}
		if p := unicodeProblem(data); p != "" {
			return nil, fmt.Errorf("faults: %s in spec %s; a spec is UTF-8 text", p, abbrev(data))
		}
		return Parse(spec)
	}
	obj, err := readObject(data)
	if err != nil {
		return nil, fmt.Errorf("faults: %v, got %s", err, abbrev(data))
	}
	var name string
	if err := json.Unmarshal(obj.get("kind"), &name); err != nil || name == "" {
		return nil, fmt.Errorf(`faults: missing "kind" in %s; valid kinds: %s`, abbrev(data), strings.Join(Kinds(), ", "))
	}
	k, err := lookup(name, abbrev(data))
	if err != nil {
		return nil, err
	}
	f := k.zero()
	where := fmt.Sprintf("faults: %s fault %s", f.Kind(), abbrev(data))
	if p := unicodeProblem(data); p != "" {
		return nil, fmt.Errorf("%s: %s; JSON text must be UTF-8", where, p)
	}
	if err := decodeFields(f, obj, k.example); err != nil {
		return nil, fmt.Errorf("%s: %v", where, err)
	}
	if e := validate(f); e != nil {
		return nil, fmt.Errorf("%s: bad %q: %s; %s", where, e.field, e.problem, e.hint)
	}
	return f, nil
}

// MarshalJSON encodes the set as a JSON array of faults.
func (s Set) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('[')
	for i, f := range s {
		if i > 0 {
			b.WriteByte(',')
		}
		one, err := Marshal(f)
		if err != nil {
			return nil, err
		}
		b.Write(one)
	}
	b.WriteByte(']')
	return b.Bytes(), nil
}

// UnmarshalJSON reads a JSON array of faults or {"faults":[...]}.
func (s *Set) UnmarshalJSON(data []byte) error {
	set, err := Decode(bytes.NewReader(data))
	if err != nil {
		return err
	}
	*s = set
	return nil
}

// maxFile bounds what Decode reads: a faults file is small.
const maxFile = 16 << 20

// Decode reads a faults file: a JSON array of faults, or an object
// {"faults":[...]}. Each entry is a fault object or a text spec string.
func Decode(r io.Reader) (Set, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxFile+1))
	if err != nil {
		return nil, fmt.Errorf("faults: read: %w", err)
	}
	if len(data) > maxFile {
		return nil, fmt.Errorf("faults: over %d MiB of faults; a faults file is small", maxFile>>20)
	}
	data = bytes.TrimSpace(data)
	var entries []json.RawMessage
	if len(data) > 0 && data[0] == '{' {
		var file struct {
			Faults []json.RawMessage `json:"faults"`
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&file); err != nil {
			return nil, fmt.Errorf(`faults: want [...] or {"faults":[...]}: %v`, err)
		}
		// Decode stops after one value; more is not a faults file.
		if _, err := dec.Token(); err != io.EOF {
			return nil, fmt.Errorf(`faults: want [...] or {"faults":[...]}, got more after the object: %s`, abbrev(data))
		}
		entries = file.Faults
	} else if err := json.Unmarshal(data, &entries); err != nil {
		return nil, fmt.Errorf(`faults: want [...] or {"faults":[...]}: %v`, err)
	}
	return setOf(entries, func(e json.RawMessage) (Fault, error) { return Unmarshal(e) })
}

// ReadFile reads a faults file; see Decode.
func ReadFile(path string) (Set, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("faults: %w", err)
	}
	defer f.Close()
	set, err := Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return set, nil
}

// Duration is a time.Duration whose JSON form is a string such as "2s".
type Duration time.Duration

// MarshalJSON writes d as a duration string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// errDuration is the one complaint about a duration's JSON form.
var errDuration = errors.New(`want a duration string such as "2s"`)

// UnmarshalJSON reads a duration string such as "200ms".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errDuration
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return errDuration
	}
	*d = Duration(v)
	return nil
}
