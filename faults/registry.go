package faults

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
)

// A kind is one fault kind as its own file registers it, from an init
// function: adding a kind is adding one file. Parse, Unmarshal, Kinds and
// Grammar read only this registry, so no other code lists the kinds.
type kind struct {
	name string
	// zero returns an empty fault to decode JSON fields into.
	zero func() Fault
	// parse reads the text after "KIND:" into fields, which validate then
	// checks, and returns the scope options it left; spec is the whole
	// spec, for error messages. plain adapts a kind without free text.
	parse func(spec, rest string) (f Fault, scope string, err error)
	// forms are the kind's lines of the grammar, in the order shown.
	forms []form
	// example is the spec shown when a JSON fault lacks fields: the first
	// form's, unless the kind's file sets another.
	example string
}

// form is one line of the grammar: a syntax and a spec of that form,
// which TestRegistry parses.
type form struct{ syntax, example string }

// kinds is the registry, by name. It is written only by init functions.
var kinds = map[string]*kind{}

// register adds the kind of proto, a pointer to a fault type's zero
// value that has a check method, named by its Kind, to the registry. A kind's file calls it from
// init, with the kind's text parser and its grammar forms.
func register(proto Fault, parse func(spec, rest string) (Fault, string, error), forms ...form) *kind {
	t := reflect.TypeOf(proto)
	name := proto.Kind()
	_, checks := proto.(checker)
	if _, dup := kinds[name]; dup || name == "" || name != asciiLower(name) ||
		t.Kind() != reflect.Pointer || !checks || parse == nil || len(forms) == 0 {
		panic(fmt.Sprintf("faults: kind %q registered twice or incompletely", name))
	}
	k := &kind{
		name:    name,
		zero:    func() Fault { return reflect.New(t.Elem()).Interface().(Fault) },
		parse:   parse,
		forms:   forms,
		example: forms[0].example,
	}
	kinds[name] = k
	return k
}

// plain adapts the parser of a kind without free text: its ARGS end at
// the first ";", where the scope options start.
func plain(parse func(spec, args string) (Fault, error)) func(string, string) (Fault, string, error) {
	return func(spec, rest string) (Fault, string, error) {
		args, scope := rest, ""
		if i := strings.IndexByte(rest, ';'); i >= 0 {
			args, scope = rest[:i], rest[i:]
		}
		f, err := parse(spec, args)
		return f, scope, err
	}
}

// lookup finds a kind by its name as written (case-insensitive); where
// names the input in the error, already quoted or abbreviated.
func lookup(name, where string) (*kind, error) {
	if k, ok := kinds[asciiLower(name)]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("faults: unknown kind %q in %s; valid kinds: %s", name, where, strings.Join(Kinds(), ", "))
}

// Kinds lists the fault kinds, sorted.
func Kinds() []string {
	return slices.Sorted(maps.Keys(kinds))
}

// Grammar returns every form of a text spec, one a line, by kind in the
// order of Kinds (COMMAND is "*", an IMAP command name such as FETCH or
// UID FETCH, or several joined by "|"). Scope options may follow any form;
// see Parse. README.md's grammar block and Parse's documentation are
// generated from it (go test ./faults -run TestREADMEGrammar -update), and
// fakeimapd --help may print it as it is.
func Grammar() string {
	return grammar(false)
}

// grammar writes the forms; withExamples adds each form's example in an
// aligned second column, as Parse's documentation shows them.
func grammar(withExamples bool) string {
	var rows []form
	width := 0
	for _, name := range Kinds() {
		for _, f := range kinds[name].forms {
			rows = append(rows, f)
			width = max(width, len(f.syntax))
		}
	}
	var b strings.Builder
	for _, f := range rows {
		if withExamples {
			fmt.Fprintf(&b, "%-*s  %s\n", width, f.syntax, f.example)
		} else {
			b.WriteString(f.syntax + "\n")
		}
	}
	return b.String()
}
