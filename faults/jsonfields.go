package faults

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf16"
)

// object is a JSON object's members in order.
type object struct {
	keys   []string
	values []json.RawMessage
}

func (o object) get(key string) json.RawMessage {
	for i, k := range o.keys {
		if k == key {
			return o.values[i]
		}
	}
	return nil
}

// readObject reads one JSON object, refusing a key given twice (which
// encoding/json would silently resolve to the last).
func readObject(data []byte) (object, error) {
	var o object
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return o, errors.New("want a JSON object or spec string")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return o, errors.New("want a JSON object or spec string")
		}
		key := tok.(string) // Token gives only strings for keys
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return o, errors.New("want a JSON object or spec string")
		}
		if o.get(key) != nil {
			return o, fmt.Errorf("key %q given twice", key)
		}
		o.keys, o.values = append(o.keys, key), append(o.values, v)
	}
	if _, err := dec.Token(); err != nil {
		return o, errors.New("want a JSON object or spec string")
	}
	if _, err := dec.Token(); err == nil {
		return o, errors.New("want one JSON object")
	}
	return o, nil
}

// field is one JSON field of a fault: its name, whether it must be given
// (its tag has no omitempty), and where it decodes to.
type field struct {
	name     string
	required bool
	ptr      any
}

// fieldsOf lists f's JSON fields, then its scope's.
func fieldsOf(f Fault) []field {
	var out []field
	v := reflect.ValueOf(f).Elem()
	for i := range v.NumField() {
		name, opts, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out = append(out, field{name, !strings.Contains(opts, "omitempty"), v.Field(i).Addr().Interface()})
		}
	}
	s := f.Scope()
	return append(out, field{"user", false, &s.User}, field{"nth", false, &s.Nth}, field{"since", false, &s.Since}, field{"times", false, &s.Times})
}

// jsonFields lists the JSON names of a fault's fields, kind and scope.
func jsonFields(f Fault) []string {
	names := []string{"kind"}
	for _, fd := range fieldsOf(f) {
		names = append(names, fd.name)
	}
	return names
}

// textFields returns f's string fields (a list's each), and its scope's user.
func textFields(f Fault) []string {
	var out []string
	for _, fd := range fieldsOf(f) {
		switch p := fd.ptr.(type) {
		case *string:
			out = append(out, *p)
		case *[]string: // a flags fault's add and remove
			out = append(out, *p...)
		}
	}
	return out
}

// decodeFields decodes obj's members into f's fields: every key must be a
// field, every required field present, every value of the field's type.
func decodeFields(f Fault, obj object, example string) error {
	fields := fieldsOf(f)
	byName := map[string]field{}
	for _, fd := range fields {
		byName[fd.name] = fd
	}
	for _, key := range obj.keys {
		if _, ok := byName[key]; !ok && key != "kind" {
			return fmt.Errorf("unknown field %q; valid fields: %s", key, strings.Join(jsonFields(f), ", "))
		}
	}
	var missing []string
	for _, fd := range fields {
		if fd.required && obj.get(fd.name) == nil {
			missing = append(missing, strconv.Quote(fd.name))
		}
	}
	if len(missing) > 0 {
		hint := "valid fields: " + strings.Join(jsonFields(f), ", ")
		if ex, err := Parse(example); err == nil {
			if js, err := Marshal(ex); err == nil {
				hint = "e.g. " + string(js)
			}
		}
		return fmt.Errorf("missing %s; %s", strings.Join(missing, ", "), hint)
	}
	for i, key := range obj.keys {
		if key == "kind" {
			continue
		}
		fd := byName[key]
		if err := json.Unmarshal(obj.values[i], fd.ptr); err != nil {
			return fmt.Errorf("bad %q: %s, got %s", key, typeWant(fd.ptr, err), abbrev(obj.values[i]))
		}
	}
	return nil
}

// typeWant says what a field's JSON value must be.
func typeWant(ptr any, err error) string {
	switch ptr.(type) {
	case *string:
		return "want a string"
	case *int, *int64:
		return "want a whole number"
	case *bool:
		return "want true or false"
	}
	return err.Error()
}

// unicodeProblem describes what in a JSON text encoding/json would
// replace by U+FFFD (invalid UTF-8, a lone UTF-16 surrogate escape), or
// returns "".
func unicodeProblem(data []byte) string {
	if i := badUTF8(data); i >= 0 {
		return fmt.Sprintf("invalid UTF-8 (byte %#x at offset %d)", data[i], i)
	}
	if i := loneSurrogate(data); i >= 0 {
		return fmt.Sprintf("lone UTF-16 surrogate %s at offset %d", data[i:i+6], i)
	}
	return ""
}

// loneSurrogate returns the offset of a \uD800-\uDFFF escape in a JSON
// string that is not half of a surrogate pair, or -1.
func loneSurrogate(b []byte) int {
	inString := false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case !inString:
			inString = c == '"'
		case c == '"':
			inString = false
		case c == '\\':
			r, ok := hex4(b, i+2)
			if i+1 >= len(b) || b[i+1] != 'u' || !ok {
				i++ // a one-character escape such as \"
				continue
			}
			if utf16.IsSurrogate(r) {
				low, ok := hex4(b, i+8)
				if r >= 0xDC00 || !ok || b[i+6] != '\\' || b[i+7] != 'u' || low < 0xDC00 || low > 0xDFFF {
					return i
				}
				i += 6
			}
			i += 5
		}
	}
	return -1
}

// hex4 reads four hex digits at b[i:].
func hex4(b []byte, i int) (rune, bool) {
	if i < 0 || i+4 > len(b) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b[i:i+4]), 16, 16)
	return rune(n), err == nil
}

// abbrev shortens JSON for a one-line error message: compacted, cut to
// 120 bytes, with control characters and invalid UTF-8 as \xNN.
func abbrev(data []byte) string {
	const limit = 120
	var c bytes.Buffer
	if json.Compact(&c, data) == nil {
		data = c.Bytes()
	}
	cut := len(data) > limit
	if cut {
		data = data[:limit]
	}
	var b strings.Builder
	for i := 0; i < len(data); {
		if n := runeLen(data[i:]); n > 0 && data[i] >= 0x20 && data[i] != 0x7f {
			b.Write(data[i : i+n])
			i += n
			continue
		}
		fmt.Fprintf(&b, `\x%02x`, data[i])
		i++
	}
	if cut {
		b.WriteString("...")
	}
	return b.String()
}
