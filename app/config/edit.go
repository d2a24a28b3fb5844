package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/tailscale/hujson"
)

// editor applies a Patch to the hujson syntax tree so that everything the
// patch does not name keeps its bytes: comments, blank lines, key order,
// number spelling. New members copy the layout of their siblings (indent
// unit, one member per line or all on one line).
type editor struct {
	// unit is one level of indentation, taken from the file ("  " when the
	// file gives no hint).
	unit string
	// multiline is the layout for objects that have no members to copy.
	multiline bool
}

// applyPatch returns the bytes of doc with ops applied. lossy reports that
// the file's own layout could not be kept (the edited tree did not mean what
// the patch asked for, which the editor checks every time) and the result is
// the whole configuration re-encoded as plain JSON instead.
func applyPatch(doc *document, ops []patchOp) (out []byte, lossy bool, err error) {
	want, err := applyToTree(doc.tree, ops)
	if err != nil {
		return nil, false, err
	}
	ast, err := doc.freshAST()
	if err != nil {
		return nil, false, fmt.Errorf("parse config: %w", err)
	}
	ed := newEditor(&ast)
	if err := ed.apply(&ast, ops); err == nil {
		out = ast.Pack()
		if got, err := parseDocument(out); err == nil && reflect.DeepEqual(got.tree, want) {
			return out, false, nil
		}
	}
	// The safe way out: the right content, plain layout.
	out, err = json.MarshalIndent(want, "", ed.unit)
	if err != nil {
		return nil, false, fmt.Errorf("encode config: %w", err)
	}
	return append(out, '\n'), true, nil
}

// newEditor infers the indent unit and layout from the top-level object.
func newEditor(root *hujson.Value) *editor {
	ed := &editor{unit: "  ", multiline: true}
	obj, ok := root.Value.(*hujson.Object)
	if !ok || len(obj.Members) == 0 {
		return ed
	}
	ind, multi := memberIndentOf(obj)
	ed.multiline = multi
	if multi && ind != "" {
		ed.unit = ind
	}
	return ed
}

func (ed *editor) apply(root *hujson.Value, ops []patchOp) error {
	for _, op := range ops {
		var err error
		if op.del {
			err = ed.delete(root, op.path)
		} else {
			err = ed.set(root, op.path, op.value)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// set walks path from the top, creating objects as needed, and stores value.
func (ed *editor) set(root *hujson.Value, path []string, value []byte) error {
	obj, ok := root.Value.(*hujson.Object)
	if !ok {
		return errNotObject
	}
	closeIndent := "" // indentation of the line holding obj's closing brace
	for depth, key := range path {
		ind, multi := ed.layoutOf(obj, closeIndent)
		i := findMember(obj, key)
		if i >= 0 {
			ind = indentOfMember(obj, i, ind)
		}
		if depth == len(path)-1 {
			v, err := ed.encode(value, ind, multi)
			if err != nil {
				return err
			}
			if i >= 0 {
				obj.Members[i].Value.Value = v
			} else {
				ed.appendMember(obj, key, v, closeIndent)
			}
			return nil
		}
		var child *hujson.Object
		if i >= 0 {
			c, isObj := obj.Members[i].Value.Value.(*hujson.Object)
			if !isObj {
				c = &hujson.Object{}
				obj.Members[i].Value.Value = c
			}
			child = c
		} else {
			child = &hujson.Object{}
			ed.appendMember(obj, key, child, closeIndent)
		}
		obj, closeIndent = child, ind
	}
	return nil
}

// delete removes every member named by path (a duplicated key included) with
// hujson's own remove, which takes the member's comments along.
func (ed *editor) delete(root *hujson.Value, path []string) error {
	obj, ok := root.Value.(*hujson.Object)
	if !ok {
		return errNotObject
	}
	for _, key := range path[:len(path)-1] {
		i := findMember(obj, key)
		if i < 0 {
			return nil
		}
		child, isObj := obj.Members[i].Value.Value.(*hujson.Object)
		if !isObj {
			return nil
		}
		obj = child
	}
	key := path[len(path)-1]
	pointer := jsonPointer(path)
	for range len(obj.Members) {
		if findMember(obj, key) < 0 {
			break
		}
		hadTrailingComma := hasTrailingComma(obj)
		braceIndent, braceOwnLine := lastLineIndent(obj.AfterExtra)
		patch, err := json.Marshal([]map[string]string{{"op": "remove", "path": pointer}})
		if err != nil {
			return fmt.Errorf("encode remove patch: %w", err)
		}
		if err := root.Patch(patch); err != nil {
			return fmt.Errorf("remove %s: %w", strings.Join(path, "."), err)
		}
		if hadTrailingComma && len(obj.Members) > 0 {
			last := &obj.Members[len(obj.Members)-1].Value
			if last.AfterExtra == nil {
				last.AfterExtra = hujson.Extra{}
			}
		}
		// Removing the last member can hand its indentation to the closing
		// brace; put the brace back where it was.
		if ind, ownLine := lastLineIndent(obj.AfterExtra); braceOwnLine && ownLine && ind != braceIndent {
			cut := len(obj.AfterExtra) - len(ind)
			obj.AfterExtra = append(bytes.Clone(obj.AfterExtra[:cut]), braceIndent...)
		}
	}
	return nil
}

// appendMember adds key: v as the last member of obj, laid out like its
// siblings. A comment that sat on the old last member's line stays there.
func (ed *editor) appendMember(obj *hujson.Object, key string, v hujson.ValueTrimmed, closeIndent string) {
	ind, multi := ed.layoutOf(obj, closeIndent)
	trailingComma := hasTrailingComma(obj)
	var nameBefore, valueBefore []byte
	valueBefore = []byte(" ")
	if n := len(obj.Members); n > 0 {
		last := obj.Members[n-1]
		if isBlank(last.Value.BeforeExtra) && !bytes.ContainsRune(last.Value.BeforeExtra, '\n') {
			valueBefore = bytes.Clone(last.Value.BeforeExtra)
		}
		head, tail := splitSameLine(obj.AfterExtra)
		obj.AfterExtra = tail
		nameBefore = head
		if !multi && len(head) == 0 {
			nameBefore = []byte(" ")
			if n >= 2 && isBlank(last.Name.BeforeExtra) {
				nameBefore = bytes.Clone(last.Name.BeforeExtra)
			}
		}
	}
	if multi || len(nameBefore) > 0 && !isBlank(nameBefore) {
		nameBefore = append(bytes.TrimRight(nameBefore, " \t"), '\n')
		nameBefore = append(nameBefore, ind...)
	}
	obj.Members = append(obj.Members, hujson.ObjectMember{
		Name:  hujson.Value{BeforeExtra: nameBefore, Value: hujson.String(key)},
		Value: hujson.Value{BeforeExtra: valueBefore, Value: v},
	})
	if trailingComma {
		obj.Members[len(obj.Members)-1].Value.AfterExtra = hujson.Extra{}
	}
	if multi && isBlank(obj.AfterExtra) && !bytes.ContainsRune(obj.AfterExtra, '\n') {
		obj.AfterExtra = hujson.Extra("\n" + closeIndent)
	}
}

// layoutOf returns the indentation of obj's members and whether they sit one
// per line; an empty object follows the file's layout, one level deeper than
// its closing brace.
func (ed *editor) layoutOf(obj *hujson.Object, closeIndent string) (string, bool) {
	if len(obj.Members) > 0 {
		ind, multi := memberIndentOf(obj)
		if !multi || ind != "" || closeIndent == "" {
			return ind, multi
		}
	}
	if !ed.multiline {
		return "", false
	}
	return closeIndent + ed.unit, true
}

// encode turns compact JSON into a hujson value laid out at indent ind.
func (ed *editor) encode(value []byte, ind string, multi bool) (hujson.ValueTrimmed, error) {
	b := value
	if multi {
		var buf bytes.Buffer
		if err := json.Indent(&buf, value, ind, ed.unit); err != nil {
			return nil, fmt.Errorf("indent value: %w", err)
		}
		b = buf.Bytes()
	}
	v, err := hujson.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("parse encoded value: %w", err)
	}
	return v.Value, nil
}

// memberIndentOf reads the indentation of obj's first member: the blank run
// after the last newline before its name. No newline means one-line layout.
func memberIndentOf(obj *hujson.Object) (string, bool) {
	be := obj.Members[0].Name.BeforeExtra
	j := bytes.LastIndexByte(be, '\n')
	if j < 0 {
		return "", false
	}
	if rest := be[j+1:]; isBlank(rest) {
		return string(rest), true
	}
	return "", true
}

// indentOfMember is the indentation of member i, or fallback when its line
// starts with something other than blanks.
func indentOfMember(obj *hujson.Object, i int, fallback string) string {
	be := obj.Members[i].Name.BeforeExtra
	j := bytes.LastIndexByte(be, '\n')
	if j >= 0 && isBlank(be[j+1:]) {
		return string(be[j+1:])
	}
	return fallback
}

// findMember returns the index of the last member named key (the one
// encoding/json would use), or -1.
func findMember(obj *hujson.Object, key string) int {
	for i := len(obj.Members) - 1; i >= 0; i-- {
		if lit, ok := obj.Members[i].Name.Value.(hujson.Literal); ok && lit.String() == key {
			return i
		}
	}
	return -1
}

// hasTrailingComma mirrors hujson: a non-nil AfterExtra on the last value
// means the file had a comma after it.
func hasTrailingComma(obj *hujson.Object) bool {
	n := len(obj.Members)
	return n > 0 && obj.Members[n-1].Value.AfterExtra != nil
}

// splitSameLine splits the extra before a closing brace into what belongs to
// the line of the last member (a trailing comment) and the rest, which starts
// at the first newline outside a block comment.
func splitSameLine(extra hujson.Extra) (head, tail hujson.Extra) {
	for i := 0; i < len(extra); {
		switch c := extra[i]; {
		case c == '\n':
			if isBlank(extra[:i]) {
				return nil, extra[i:]
			}
			return bytes.Clone(extra[:i]), extra[i:]
		case c == '/' && i+1 < len(extra) && extra[i+1] == '/':
			j := bytes.IndexByte(extra[i:], '\n')
			if j < 0 {
				return bytes.Clone(extra), nil
			}
			i += j
		case c == '/' && i+1 < len(extra) && extra[i+1] == '*':
			j := bytes.Index(extra[i+2:], []byte("*/"))
			if j < 0 || bytes.ContainsRune(extra[i:i+2+j], '\n') {
				return nil, extra // a block comment over several lines stays put
			}
			i += j + 4
		default:
			i++
		}
	}
	if isBlank(extra) {
		return nil, extra
	}
	return bytes.Clone(extra), nil
}

// lastLineIndent returns the blanks after the last newline of extra, and
// whether there is such a newline with only blanks after it.
func lastLineIndent(extra hujson.Extra) (string, bool) {
	j := bytes.LastIndexByte(extra, '\n')
	if j < 0 || !isBlank(extra[j+1:]) {
		return "", false
	}
	return string(extra[j+1:]), true
}

// isBlank reports whether b holds only spaces, tabs, CR and LF.
func isBlank(b []byte) bool {
	return len(bytes.Trim(b, " \t\r\n")) == 0
}

// jsonPointer builds an RFC 6901 pointer.
func jsonPointer(path []string) string {
	var sb strings.Builder
	for _, p := range path {
		sb.WriteByte('/')
		sb.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(p))
	}
	return sb.String()
}
