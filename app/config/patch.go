package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Patch collects the changes of one Update. Paths are lists of object keys
// from the top of milady.json, e.g. []string{"cloud", "apiKey"}; missing
// objects along a Set path are created, and a non-object value in the way is
// replaced by an object. Every key not named keeps its value, and, when the
// file is hujson, its comments and layout.
type Patch struct {
	ops []patchOp
	err error
}

// patchOp is one Set or Delete, its value kept as compact standard JSON so
// that later changes by the caller to a map or slice cannot leak in.
type patchOp struct {
	path  []string
	del   bool
	value []byte
}

// errEmptyPath refuses a Set or Delete of the whole file.
var errEmptyPath = errors.New("config path is empty")

// Set stores value (anything encoding/json accepts) at path.
func (p *Patch) Set(path []string, value any) {
	if p.err != nil {
		return
	}
	if len(path) == 0 {
		p.err = errEmptyPath
		return
	}
	enc, err := encodeCompact(value)
	if err != nil {
		p.err = fmt.Errorf("encode value for %s: %w", strings.Join(path, "."), err)
		return
	}
	p.ops = append(p.ops, patchOp{path: clonePath(path), value: enc})
}

// Delete removes the key at path; a key that is not there is not an error.
func (p *Patch) Delete(path []string) {
	if p.err != nil {
		return
	}
	if len(path) == 0 {
		p.err = errEmptyPath
		return
	}
	p.ops = append(p.ops, patchOp{path: clonePath(path), del: true})
}

// SetCloudLogin records a successful login: cloud.enabled=true and
// cloud.apiKey=key, the keys Milady itself reads.
func (p *Patch) SetCloudLogin(key string) {
	p.Set([]string{"cloud", "enabled"}, true)
	p.Set([]string{"cloud", "apiKey"}, key)
}

// ClearCloudLogin records a log-out: cloud.enabled=false and no cloud.apiKey.
func (p *Patch) ClearCloudLogin() {
	p.Set([]string{"cloud", "enabled"}, false)
	p.Delete([]string{"cloud", "apiKey"})
}

// SetLastAgent records desktop.lastAgentId; an empty id removes the key.
func (p *Patch) SetLastAgent(id string) {
	if id == "" {
		p.Delete([]string{"desktop", "lastAgentId"})
		return
	}
	p.Set([]string{"desktop", "lastAgentId"}, id)
}

// SetWasConnected records desktop.wasConnected, read at the next start to
// decide whether to reconnect to the last agent.
func (p *Patch) SetWasConnected(connected bool) {
	p.Set([]string{"desktop", "wasConnected"}, connected)
}

// SetNotifications records desktop.notifications.
func (p *Patch) SetNotifications(on bool) {
	p.Set([]string{"desktop", "notifications"}, on)
}

// SetBackupSkipWhenIdle sets cloud.backup.skipWhenIdle.
func (p *Patch) SetBackupSkipWhenIdle(on bool) {
	p.Set([]string{"cloud", "backup", "skipWhenIdle"}, on)
}

func clonePath(path []string) []string { return append([]string(nil), path...) }

// encodeCompact is json.Marshal without HTML escaping, so a URL with & in
// it is written the way a person would type it.
func encodeCompact(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// applyToTree applies ops to the plain-JSON tree; the result is what the
// patched file must mean, and is checked against it before writing.
func applyToTree(tree map[string]any, ops []patchOp) (map[string]any, error) {
	tree = copyTree(tree)
	for _, op := range ops {
		obj := tree
		for _, key := range op.path[:len(op.path)-1] {
			child, ok := obj[key].(map[string]any)
			if !ok {
				if op.del {
					obj = nil
					break
				}
				child = map[string]any{}
				obj[key] = child
			}
			obj = child
		}
		last := op.path[len(op.path)-1]
		switch {
		case obj == nil:
		case op.del:
			delete(obj, last)
		default:
			v, err := decodeValue(op.value)
			if err != nil {
				return nil, fmt.Errorf("decode value for %s: %w", strings.Join(op.path, "."), err)
			}
			obj[last] = v
		}
	}
	return tree, nil
}

// copyTree copies the maps of a decoded tree (slices and scalars are never
// mutated in place, so they are shared).
func copyTree(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if child, ok := v.(map[string]any); ok {
			v = copyTree(child)
		}
		out[k] = v
	}
	return out
}

// decodeValue decodes one JSON value with numbers as json.Number.
func decodeValue(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}
