package fakeserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The tree a JSON or YAML seed is read into before seedDecoder walks it:
// each value with its line, maps in the file's order.

type nodeKind int

const (
	scalarNode nodeKind = iota
	mapNode
	listNode
)

var nodeKindNames = [...]string{scalarNode: "a scalar", mapNode: "a mapping", listNode: "a list"}

// node is a JSON or YAML value with its line. A scalar keeps its text;
// str says it was a string (JSON) or a plain/quoted YAML string.
type node struct {
	kind  nodeKind
	text  string
	str   bool
	line  int
	keys  []string
	vals  []*node
	items []*node
}

// jsonTree reads one JSON value. Its lines are those of the end of each
// token, which for a scalar is its own line.
func jsonTree(data []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	line := func() int { return 1 + bytes.Count(data[:dec.InputOffset()], []byte("\n")) }
	var value func(depth int) (*node, error)
	value = func(depth int) (*node, error) {
		if depth > 64 {
			return nil, &SeedError{Line: line(), Msg: "nested over 64 levels"}
		}
		tok, err := dec.Token()
		if err != nil {
			return nil, jsonErr(data, err, line())
		}
		n := &node{line: line()}
		switch t := tok.(type) {
		case json.Delim:
			if t == '[' {
				n.kind = listNode
				for dec.More() {
					item, err := value(depth + 1)
					if err != nil {
						return nil, err
					}
					n.items = append(n.items, item)
				}
			} else {
				n.kind = mapNode
				for dec.More() {
					k, err := dec.Token()
					if err != nil {
						return nil, jsonErr(data, err, line())
					}
					key, _ := k.(string)
					if n.val(key) != nil {
						return nil, &SeedError{Line: line(), Msg: fmt.Sprintf("key %q appears twice", key)}
					}
					v, err := value(depth + 1)
					if err != nil {
						return nil, err
					}
					n.keys, n.vals = append(n.keys, key), append(n.vals, v)
				}
			}
			if _, err := dec.Token(); err != nil { // the closing delimiter
				return nil, jsonErr(data, err, line())
			}
		case string:
			n.text, n.str = t, true
		case json.Number:
			n.text = t.String()
		case bool:
			n.text = fmt.Sprint(t)
		case nil:
			n.text = "null"
		}
		return n, nil
	}
	root, err := value(0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &SeedError{Line: line(), Msg: "more than one JSON value"}
	}
	return root, nil
}

// jsonErr keeps encoding/json's syntax message, which quotes at most one
// character, and places it by line.
func jsonErr(data []byte, err error, at int) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		at = 1 + bytes.Count(data[:min(int(se.Offset), len(data))], []byte("\n"))
		return &SeedError{Line: at, Msg: "JSON: " + se.Error()}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &SeedError{Line: at, Msg: "JSON: unexpected end of file"}
	}
	return &SeedError{Line: at, Msg: "JSON: " + err.Error()}
}

// yamlTree reads one YAML document. Anchors and aliases are refused: a
// seed has no need of them, and they would let a small file expand.
func yamlTree(data []byte) (*node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg := strings.TrimPrefix(strings.ReplaceAll(err.Error(), "\n", "; "), "yaml: ")
		line := 0
		if rest, ok := strings.CutPrefix(msg, "line "); ok {
			if n, tail, ok := strings.Cut(rest, ": "); ok {
				if _, err := fmt.Sscanf(n, "%d", &line); err == nil {
					msg = tail
				}
			}
		}
		return nil, &SeedError{Line: line, Msg: "YAML: " + msg}
	}
	if doc.Kind == 0 {
		return &node{kind: mapNode, line: 1}, nil // an empty file
	}
	var conv func(y *yaml.Node, depth int) (*node, error)
	conv = func(y *yaml.Node, depth int) (*node, error) {
		if depth > 64 {
			return nil, &SeedError{Line: y.Line, Msg: "nested over 64 levels"}
		}
		n := &node{line: y.Line}
		switch y.Kind {
		case yaml.DocumentNode:
			return conv(y.Content[0], depth+1)
		case yaml.ScalarNode:
			n.text, n.str = y.Value, y.Tag == "!!str"
		case yaml.SequenceNode:
			n.kind = listNode
			for _, c := range y.Content {
				item, err := conv(c, depth+1)
				if err != nil {
					return nil, err
				}
				n.items = append(n.items, item)
			}
		case yaml.MappingNode:
			n.kind = mapNode
			for i := 0; i+1 < len(y.Content); i += 2 {
				k, v := y.Content[i], y.Content[i+1]
				if k.Kind != yaml.ScalarNode {
					return nil, &SeedError{Line: k.Line, Msg: "a mapping key must be a plain name"}
				}
				if n.val(k.Value) != nil {
					return nil, &SeedError{Line: k.Line, Msg: fmt.Sprintf("key %q appears twice", k.Value)}
				}
				c, err := conv(v, depth+1)
				if err != nil {
					return nil, err
				}
				n.keys, n.vals = append(n.keys, k.Value), append(n.vals, c)
			}
		default:
			return nil, &SeedError{Line: y.Line, Msg: "YAML anchors and aliases are not supported in a seed"}
		}
		return n, nil
	}
	return conv(&doc, 0)
}

func (n *node) val(key string) *node {
	for i, k := range n.keys {
		if k == key {
			return n.vals[i]
		}
	}
	return nil
}
