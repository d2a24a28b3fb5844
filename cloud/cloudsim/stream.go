package cloudsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// parseStreamRequest validates the stream body: a JSON-RPC message.send
// with a non-empty text. Unknown params keys are dropped, as zod strips them.
func parseStreamRequest(body any) (rpcRequest, string, []obj) {
	req, issues := parseRPC(body)
	if issues == nil && req.method != "message.send" {
		issues = append(issues, obj{"code": "invalid_literal", "expected": "message.send", "received": req.method,
			"path": []any{"method"}, "message": `Invalid literal value, expected "message.send"`})
	}
	var text string
	if m, ok := body.(map[string]any); ok {
		p, present := m["params"]
		switch {
		case !present:
			issues = append(issues, issueRequired([]any{"params"}, "object"))
		case req.params != nil:
			switch t, has := req.params["text"]; {
			case !has:
				issues = append(issues, issueRequired([]any{"params", "text"}, "string"))
			case jsType(t) != "string":
				issues = append(issues, issueType([]any{"params", "text"}, "string", t))
			case t == "":
				issues = append(issues, obj{"code": "too_small", "minimum": 1, "type": "string", "inclusive": true, "exact": false,
					"message": "String must contain at least 1 character(s)", "path": []any{"params", "text"}})
			default:
				text = t.(string)
			}
			if room, has := req.params["roomId"]; has && jsType(room) != "string" {
				issues = append(issues, issueType([]any{"params", "roomId"}, "string", room))
			}
		default:
			_ = p // wrong type already reported by parseRPC
		}
	}
	return req, text, issues
}

// splitReply cuts a reply into two or three chunks whose concatenation is
// the reply: the "[echo] " tag, then the text in one or two pieces split at
// a space near the middle when there is one.
func splitReply(reply string) []string {
	const tag = "[echo] "
	if !strings.HasPrefix(reply, tag) || len(reply) == len(tag) {
		return []string{reply}
	}
	rest := reply[len(tag):]
	runes := []rune(rest)
	if len(runes) < 2 {
		return []string{tag, rest}
	}
	mid := len(runes) / 2
	if i := strings.LastIndex(string(runes[:mid+1]), " "); i > 0 {
		return []string{tag, rest[:i], rest[i:]}
	}
	cut := len(string(runes[:mid]))
	return []string{tag, rest[:cut], rest[cut:]}
}

// writeEvent writes one SSE event and flushes it so the client sees events
// arrive separately.
func writeEvent(w http.ResponseWriter, event string, data any) {
	b, err := json.Marshal(data)
	if err != nil {
		b = []byte("{}")
	}
	_, _ = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b)
	if fl, ok := w.(http.Flusher); ok {
		fl.Flush()
	}
}

// handleStream is POST /agents/{id}/stream: SSE connected → chunks → done, or
// a single error event (still HTTP 200) when the sandbox is not running.
func (s *Server) handleStream(w http.ResponseWriter, r *http.Request) {
	if !s.requireKey(w, r) {
		return
	}
	body, err := parseJSON(r)
	if err != nil {
		// request.json() throws outside the schema check; the route's catch
		// (errorToResponse) answers the generic 500.
		plainError(w, http.StatusInternalServerError, msgUnexpected)
		return
	}
	req, text, issues := parseStreamRequest(body)
	if issues != nil {
		writeJSON(w, http.StatusBadRequest, obj{"error": "Invalid request", "details": issues})
		return
	}
	s.mu.Lock()
	s.tickLocked()
	a := s.st.agents[r.PathValue("id")]
	running := a != nil && a.status == "running" && !a.dead
	delay := s.st.replyDelay
	now := s.now()
	s.mu.Unlock()

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache, no-transform")
	h.Set("Connection", "keep-alive")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if !running {
		writeEvent(w, "error", obj{"message": "Sandbox is not running or unreachable"})
		return
	}
	var rpcID any
	if req.hasID {
		rpcID = req.id
	}
	writeEvent(w, "connected", obj{"rpcId": rpcID, "timestamp": now.UnixMilli()})
	if delay > 0 {
		// The route may run 120 s; a slower agent is cut off mid-stream
		// (no done event).
		if delay >= streamMaxDuration {
			s.waitServer(r, s.scaled(streamMaxDuration))
			return
		}
		if !s.waitServer(r, s.scaled(delay)) {
			return
		}
	}
	s.mu.Lock()
	a = s.st.agents[r.PathValue("id")]
	if a == nil || a.status != "running" || a.dead {
		s.mu.Unlock()
		return
	}
	reply := echoReply(text)
	s.rememberLocked(a, text, reply)
	s.mu.Unlock()
	for _, c := range splitReply(reply) {
		if r.Context().Err() != nil {
			return
		}
		writeEvent(w, "chunk", obj{"text": c})
	}
	writeEvent(w, "done", obj{"rpcId": rpcID, "timestamp": s.now().UnixMilli()})
}
