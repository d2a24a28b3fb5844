package cloudsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// obj is a JSON object literal; responses are built from these so the key
// names stay visibly identical to the contract.
type obj = map[string]any

// maxBody is the request body limit; larger bodies get 413.
const maxBody = 1 << 20

const msgUnexpected = "An unexpected error occurred"

// errMalformedJSON marks a body that is not JSON at all (as opposed to JSON
// of the wrong shape), which the server reports differently per route.
var errMalformedJSON = errors.New("malformed JSON body")

// iso formats a timestamp like JavaScript's Date.toJSON: UTC, milliseconds, Z.
func iso(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// isoPtr is iso for nullable timestamps: nil stays JSON null.
func isoPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return iso(*t)
}

// strPtr is a nullable string for JSON.
func strPtr(p *string) any {
	if p == nil {
		return nil
	}
	return *p
}

func ptr[T any](v T) *T { return &v }

// writeJSON answers status with v encoded like JSON.stringify would (no HTML
// escaping).
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"success":false,"error":"` + msgUnexpected + `"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(bytes.TrimRight(buf.Bytes(), "\n"))
}

// apiError is the ApiError.toJSON shape: success, error and code.
func apiError(w http.ResponseWriter, status int, msg, code string) {
	writeJSON(w, status, obj{"success": false, "error": msg, "code": code})
}

// plainError is the shape milady routes use for explicit failures and for
// non-ApiError exceptions: success and error, no code.
// writeData answers with the Milady routes' success envelope,
// {"success": true, "data": data}.
func writeData(w http.ResponseWriter, status int, data any) {
	writeJSON(w, status, obj{"success": true, "data": data})
}

func plainError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, obj{"success": false, "error": msg})
}

// bareError is the CLI session routes' shape: just error.
func bareError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, obj{"error": msg})
}

// readBody returns the (already size-limited) request body.
func readBody(r *http.Request) []byte {
	if r.Body == nil {
		return nil
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return nil
	}
	return b
}

// parseJSON decodes the body as any JSON value; a body that is empty or not
// JSON yields errMalformedJSON, like request.json() throwing in Next.js.
func parseJSON(r *http.Request) (any, error) {
	b := readBody(r)
	var v any
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, errMalformedJSON
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, errMalformedJSON
	}
	return v, nil
}

// keyedJSON authenticates the request and decodes its JSON body, answering
// the failure itself. A malformed body is the generic 500 on the routes
// whose handler lets request.json() throw (create, restore, bridge).
func (s *Server) keyedJSON(w http.ResponseWriter, r *http.Request) (body any, ok bool) {
	if !s.requireKey(w, r) {
		return nil, false
	}
	body, err := parseJSON(r)
	if err != nil {
		plainError(w, http.StatusInternalServerError, msgUnexpected)
		return nil, false
	}
	return body, true
}

// jsType names a decoded JSON value the way zod reports "received".
func jsType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}

// Zod-style (v3) issue builders for the "details" arrays of 400 answers.

func issueRequired(path []any, expected string) obj {
	return obj{"code": "invalid_type", "expected": expected, "received": "undefined", "path": path, "message": "Required"}
}

func issueType(path []any, expected string, got any) obj {
	recv := jsType(got)
	return obj{"code": "invalid_type", "expected": expected, "received": recv, "path": path,
		"message": "Expected " + expected + ", received " + recv}
}

// isUUID reports whether s is a canonical UUID string as zod's uuid() checks.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	_, err := uuid.Parse(s)
	return err == nil
}

func itoa(n int) string { return strconv.Itoa(n) }
