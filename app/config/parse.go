package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/tailscale/hujson"
)

// document is one load of milady.json: the syntax tree that keeps the user's
// comments and layout, and the plain-JSON meaning of that tree.
type document struct {
	// raw is the file as read; nil when the file does not exist.
	raw []byte
	// src is the hujson text of the file: raw, or raw after the tolerant
	// pre-pass; nil for an empty file.
	src []byte
	// tree is the standard-JSON meaning of ast, numbers as json.Number so
	// that values this app never touches are compared exactly.
	tree map[string]any
	// json5 reports that the file only parsed after the tolerant pre-pass
	// (unquoted keys, single quotes): rewriting it changes that syntax, so
	// the first write keeps a milady.json.bak.
	json5 bool
}

// errNotObject is the parse error for a file whose top level is valid JSON
// but not an object; Milady cannot use such a file either.
var errNotObject = errors.New("the top level is not a JSON object")

// parseDocument reads milady.json the way Milady does: JSON with comments and
// trailing commas, and (through the tolerant pre-pass) JSON5's unquoted keys
// and single-quoted strings. An empty file is an empty configuration, since
// nothing in it can be lost by writing.
func parseDocument(raw []byte) (*document, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return &document{raw: raw, tree: map[string]any{}}, nil
	}
	if err := checkDepth(raw); err != nil {
		return nil, err
	}
	doc := &document{raw: raw, src: raw}
	v, err := hujson.Parse(raw)
	if err != nil {
		pre, perr := tolerantJSON5(raw)
		if perr != nil {
			return nil, cleanParseError(err)
		}
		v2, err2 := hujson.Parse(pre)
		if err2 != nil {
			// Report the error against the file as the user wrote it.
			return nil, cleanParseError(err)
		}
		v, doc.src, doc.json5 = v2, pre, true
	}
	if _, ok := v.Value.(*hujson.Object); !ok {
		return nil, errNotObject
	}
	tree, err := standardTree(v)
	if err != nil {
		return nil, err
	}
	doc.tree = tree
	return doc, nil
}

// freshAST parses the document again to get a syntax tree the caller may
// edit. (hujson's Value.Clone drops a trailing comma after the last member,
// so a new parse is the faithful copy.) The input is copied because hujson's
// tree aliases it.
func (d *document) freshAST() (hujson.Value, error) {
	if d.src == nil {
		return emptyRoot(), nil
	}
	return hujson.Parse(bytes.Clone(d.src))
}

// standardTree decodes a hujson value into maps, slices and json.Number.
func standardTree(v hujson.Value) (map[string]any, error) {
	std := v.Clone() // Clone's trailing-comma loss does not matter here
	std.Standardize()
	tree, err := decodeObject(std.Pack())
	if err != nil {
		return nil, fmt.Errorf("decode standardized config: %w", err)
	}
	return tree, nil
}

// decodeObject decodes standard JSON whose top level must be an object.
func decodeObject(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return nil, err
	}
	m, ok := tree.(map[string]any)
	if !ok {
		return nil, errNotObject
	}
	return m, nil
}

// emptyRoot is the syntax tree of a new file: "{}" followed by a newline, so
// the first member added is laid out on its own indented line.
func emptyRoot() hujson.Value {
	return hujson.Value{Value: &hujson.Object{}, AfterExtra: hujson.Extra("\n")}
}

// cleanParseError drops the text of an offending literal from a hujson error
// ("invalid literal: <the literal>"): the literal could be the API key, and
// the message is logged and shown in the UI. The line and column stay.
func cleanParseError(err error) error {
	msg := err.Error()
	if i := strings.Index(msg, "invalid literal:"); i >= 0 {
		msg = msg[:i] + "invalid string, number or keyword"
	}
	return errors.New(msg)
}
