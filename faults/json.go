package faults

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
	"time"
)

// The JSON form of a fault is an object with its kind, its own fields and
// its scope:
//
//	{"kind":"delay","target":"SELECT","duration":"2s","user":"alice","nth":2}
//
// Where a list of faults is read, an entry may also be a text spec string.

// Marshal returns the JSON form of f.
func Marshal(f Fault) ([]byte, error) {
	fields, err := json.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("faults: encode %s: %w", f.Kind(), err)
	}
	scope, err := json.Marshal(f.Scope())
	if err != nil {
		return nil, fmt.Errorf("faults: encode %s scope: %w", f.Kind(), err)
	}
	kindJSON, _ := json.Marshal(f.Kind())
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

// Unmarshal reads the JSON form of one fault, or a JSON string holding a
// text spec. The fault is checked exactly as Parse checks a spec.
func Unmarshal(data []byte) (Fault, error) {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '"' {
		var spec string
		if err := json.Unmarshal(data, &spec); err != nil {
			return nil, fmt.Errorf("faults: bad JSON string %s: %w", data, err)
		}
		return Parse(spec)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return nil, fmt.Errorf("faults: want a JSON object or spec string, got %s", abbrev(data))
	}
	var name string
	if err := json.Unmarshal(fields["kind"], &name); err != nil || name == "" {
		return nil, fmt.Errorf(`faults: missing "kind" in %s; valid kinds: %s`, abbrev(data), strings.Join(Kinds(), ", "))
	}
	k, ok := kinds[strings.ToLower(name)]
	if !ok {
		return nil, fmt.Errorf("faults: unknown kind %q in %s; valid kinds: %s", name, abbrev(data), strings.Join(Kinds(), ", "))
	}
	f := k.zero()
	var scope scopeOptions
	for key, dst := range map[string]any{"user": &scope.User, "nth": &scope.Nth, "times": &scope.Times} {
		if raw, ok := fields[key]; ok {
			if err := json.Unmarshal(raw, dst); err != nil {
				return nil, fmt.Errorf("faults: bad %q in %s: %v", key, abbrev(data), err)
			}
		}
	}
	delete(fields, "kind")
	delete(fields, "user")
	delete(fields, "nth")
	delete(fields, "times")
	rest, _ := json.Marshal(fields)
	dec := json.NewDecoder(bytes.NewReader(rest))
	dec.DisallowUnknownFields()
	if err := dec.Decode(f); err != nil {
		return nil, fmt.Errorf("faults: bad %s fault %s: %v; valid fields: %s",
			f.Kind(), abbrev(data), err, strings.Join(jsonFields(f), ", "))
	}
	s := f.Scope()
	s.User, s.Nth, s.Times = scope.User, scope.Nth, scope.Times
	// One set of rules: the spec parser checks JSON faults too.
	return Parse(f.Spec())
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

// Decode reads a faults file: a JSON array of faults, or an object
// {"faults":[...]}. Each entry is a fault object or a text spec string.
func Decode(r io.Reader) (Set, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("faults: read: %w", err)
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

// UnmarshalJSON reads a duration string such as "200ms".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a duration string such as \"2s\", got %s", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("want a duration string such as \"2s\", got %q", s)
	}
	*d = Duration(v)
	return nil
}

// jsonFields lists the JSON names of a fault's fields, kind and scope.
func jsonFields(f Fault) []string {
	names := []string{"kind"}
	t := reflect.TypeOf(f).Elem()
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name != "" {
			names = append(names, name)
		}
	}
	return append(names, "user", "nth", "times")
}

// abbrev shortens JSON for an error message.
func abbrev(data []byte) string {
	const limit = 120
	if len(data) > limit {
		return string(data[:limit]) + "..."
	}
	return string(data)
}
