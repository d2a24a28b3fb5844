package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
)

// object is a request body that is a JSON object, its fields still raw so
// each handler checks the types it needs and a wrong type is a 400 rather
// than a silent zero value.
type object map[string]json.RawMessage

// readObject reads the body of a POST that takes one. An empty body is {}.
// It answers 413 or 400 itself and returns ok=false when the body is too
// large, not valid JSON, or JSON that is not an object.
func readObject(w http.ResponseWriter, r *http.Request) (object, bool) {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeMessage(w, http.StatusRequestEntityTooLarge, "Request body too large")
			return nil, false
		}
		writeMessage(w, http.StatusBadRequest, "Could not read the request body")
		return nil, false
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return object{}, true
	}
	// Milady's two sentences: broken JSON, and JSON of the wrong kind.
	if !json.Valid(raw) {
		writeMessage(w, http.StatusBadRequest, "Invalid JSON in request body")
		return nil, false
	}
	var obj object
	if raw[0] != '{' || json.Unmarshal(raw, &obj) != nil {
		writeMessage(w, http.StatusBadRequest, "Request body must be a JSON object")
		return nil, false
	}
	return obj, true
}

// has reports whether the field is present and not null; a JSON null is
// treated as absent throughout, as JavaScript's `?.` would.
func (o object) has(name string) bool {
	v, ok := o[name]
	return ok && !bytes.Equal(v, []byte("null"))
}

// str returns a string field; present is false when it is absent or null,
// and err is set when it is there but not a string.
func (o object) str(name string) (v string, present bool, err error) {
	if !o.has(name) {
		return "", false, nil
	}
	if err := json.Unmarshal(o[name], &v); err != nil {
		return "", true, fmt.Errorf("%s must be a string", name)
	}
	return v, true, nil
}

// boolean returns a boolean field, like str.
func (o object) boolean(name string) (v bool, present bool, err error) {
	if !o.has(name) {
		return false, false, nil
	}
	if err := json.Unmarshal(o[name], &v); err != nil {
		return false, true, fmt.Errorf("%s must be a boolean", name)
	}
	return v, true, nil
}

// integer returns a field that must be a whole JSON number (10, 1e1;
// not 10.5, "10" or true), like str.
func (o object) integer(name string) (v int, present bool, err error) {
	if !o.has(name) {
		return 0, false, nil
	}
	bad := fmt.Errorf("%s must be an integer", name)
	var f float64
	if err := json.Unmarshal(o[name], &f); err != nil || f != math.Trunc(f) || math.Abs(f) > 1e9 {
		return 0, true, bad
	}
	return int(f), true, nil
}

// jsonObject decodes a field that must be a JSON object.
func (o object) jsonObject(name string) (map[string]any, error) {
	if !o.has(name) {
		return nil, nil
	}
	raw := bytes.TrimSpace(o[name])
	var m map[string]any
	if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &m) != nil {
		return nil, fmt.Errorf("%s must be an object", name)
	}
	return m, nil
}

// stringMap decodes a field that must be an object whose values are all
// strings (environment variables).
func (o object) stringMap(name string) (map[string]string, error) {
	if !o.has(name) {
		return nil, nil
	}
	bad := fmt.Errorf("%s must be an object of strings", name)
	raw := bytes.TrimSpace(o[name])
	var fields object
	if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &fields) != nil {
		return nil, bad
	}
	m := make(map[string]string, len(fields))
	for k := range fields {
		v, present, err := fields.str(k)
		if err != nil || !present { // null is not a string here
			return nil, bad
		}
		m[k] = v
	}
	return m, nil
}
