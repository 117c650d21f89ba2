package prober

import (
	"reflect"
)

// scrubDetails masks secrets in every string a step's evidence holds:
// server-supplied capabilities, mailbox names, flags, subjects and
// Message-IDs end up in the report as they are, and a broken or hostile
// server may echo a credential in any of them. It walks the value, so
// that a new Details field is covered without a list to keep.
func scrubDetails(v any, scrub func(string) string) {
	if v != nil {
		scrubValue(reflect.ValueOf(v), scrub)
	}
}

func scrubValue(v reflect.Value, scrub func(string) string) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			scrubValue(v.Elem(), scrub)
		}
	case reflect.Interface:
		if !v.IsNil() && v.CanSet() {
			// the dynamic value is a copy: scrub it, then store it back
			c := reflect.New(v.Elem().Type()).Elem()
			c.Set(v.Elem())
			scrubValue(c, scrub)
			v.Set(c)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Field(i); f.CanSet() {
				scrubValue(f, scrub)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			scrubValue(v.Index(i), scrub)
		}
	case reflect.String:
		if v.CanSet() {
			v.SetString(scrub(v.String()))
		}
	case reflect.Map:
		if v.IsNil() || v.Type().Key().Kind() != reflect.String {
			return
		}
		// map elements are not addressable: rebuild the map, keys too
		out := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			elem := reflect.New(v.Type().Elem()).Elem()
			elem.Set(it.Value())
			scrubValue(elem, scrub)
			key := reflect.New(v.Type().Key()).Elem()
			key.SetString(scrub(it.Key().String()))
			out.SetMapIndex(key, elem)
		}
		v.Set(out)
	}
}

// scrubJSON masks secrets in every string and key of a decoded JSON value.
func scrubJSON(v any, scrub func(string) string) any {
	switch v := v.(type) {
	case string:
		return scrub(v)
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[scrub(k)] = scrubJSON(x, scrub)
		}
		return out
	case []any:
		for i, x := range v {
			v[i] = scrubJSON(x, scrub)
		}
	}
	return v
}
