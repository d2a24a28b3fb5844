package cloudsim

import (
	"net/http"
)

// rpcRequest is a validated JSON-RPC envelope.
type rpcRequest struct {
	id     any // string, float64, or nil when absent
	hasID  bool
	method string
	params map[string]any
}

// parseRPC validates the bridge envelope: jsonrpc "2.0", optional string or
// number id, non-empty method, optional object params. It returns zod-like
// issues when invalid.
func parseRPC(body any) (rpcRequest, []obj) {
	m, ok := body.(map[string]any)
	if !ok {
		return rpcRequest{}, []obj{issueType([]any{}, "object", body)}
	}
	var issues []obj
	var req rpcRequest
	if v, present := m["jsonrpc"]; !present {
		issues = append(issues, issueRequired([]any{"jsonrpc"}, "\"2.0\""))
	} else if v != "2.0" {
		issues = append(issues, obj{"code": "invalid_literal", "expected": "2.0", "received": v,
			"path": []any{"jsonrpc"}, "message": `Invalid literal value, expected "2.0"`})
	}
	if v, present := m["id"]; present {
		switch v.(type) {
		case string, float64:
			req.id, req.hasID = v, true
		default:
			issues = append(issues, obj{"code": "invalid_union", "path": []any{"id"}, "message": "Invalid input"})
		}
	}
	switch v, present := m["method"]; {
	case !present:
		issues = append(issues, issueRequired([]any{"method"}, "string"))
	case jsType(v) != "string":
		issues = append(issues, issueType([]any{"method"}, "string", v))
	case v == "":
		issues = append(issues, obj{"code": "too_small", "minimum": 1, "type": "string", "inclusive": true, "exact": false,
			"message": "String must contain at least 1 character(s)", "path": []any{"method"}})
	default:
		req.method = v.(string)
	}
	if v, present := m["params"]; present {
		p, isObj := v.(map[string]any)
		if !isObj {
			issues = append(issues, issueType([]any{"params"}, "object", v))
		}
		req.params = p
	}
	return req, issues
}

// rpcError is a synthesized JSON-RPC error (still HTTP 200).
func rpcError(req rpcRequest, code int, msg string) obj {
	o := obj{"jsonrpc": "2.0", "error": obj{"code": code, "message": msg}}
	if req.hasID {
		o["id"] = req.id
	}
	return o
}

func rpcResult(req rpcRequest, result obj) obj {
	o := obj{"jsonrpc": "2.0", "result": result}
	if req.hasID {
		o["id"] = req.id
	}
	return o
}

// FailHeartbeats makes the next n heartbeat bridge calls answer the
// "Sandbox is not running" JSON-RPC error (HTTP 200), as a dead sandbox
// would. n < 0 fails until cleared; 0 clears.
func (s *Server) FailHeartbeats(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.heartbeatFail = n
}

// echoReply is the simulated agent's answer, like the reference sandbox's
// fallback echo agent.
func echoReply(text string) string {
	if text == "" {
		return "(no response)"
	}
	return "[echo] " + text
}

// rememberLocked records a chat exchange in the sandbox memories.
func (s *Server) rememberLocked(a *agent, user, reply string) {
	ms := s.now().UnixMilli()
	a.memories = append(a.memories, memory{Role: "user", Text: user, Timestamp: ms},
		memory{Role: "assistant", Text: reply, Timestamp: ms})
}

// handleBridge is POST /agents/{id}/bridge: a JSON-RPC proxy that always
// answers HTTP 200 once the envelope is valid.
func (s *Server) handleBridge(w http.ResponseWriter, r *http.Request) {
	body, ok := s.keyedJSON(w, r)
	if !ok {
		return
	}
	req, issues := parseRPC(body)
	if issues != nil {
		writeJSON(w, http.StatusBadRequest, obj{"success": false, "error": "Invalid JSON-RPC request", "details": issues})
		return
	}
	s.mu.Lock()
	s.tickLocked()
	a := s.st.agents[r.PathValue("id")]
	delay := s.st.replyDelay
	slow := req.method == "message.send" && delay > 0 && a != nil && a.status == "running" && !a.dead
	s.mu.Unlock()
	if slow {
		// The server aborts the sandbox call after 30 s and reports it like
		// a network failure; the agent's late reply is lost.
		if delay > bridgeTimeout {
			if s.waitServer(r, s.scaled(bridgeTimeout)) {
				writeJSON(w, http.StatusOK, rpcError(req, -32000, msgBridgeUnreachable))
			}
			return
		}
		if !s.waitServer(r, s.scaled(delay)) {
			return
		}
	}
	s.mu.Lock()
	s.tickLocked()
	resp := s.bridgeLocked(r.PathValue("id"), req)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) bridgeLocked(agentID string, req rpcRequest) obj {
	a := s.st.agents[agentID]
	if a == nil || a.status != "running" {
		return rpcError(req, -32000, "Sandbox is not running")
	}
	if a.dead {
		return rpcError(req, -32000, msgBridgeUnreachable)
	}
	now := s.now()
	switch req.method {
	case "heartbeat":
		if s.st.heartbeatFail != 0 {
			if s.st.heartbeatFail > 0 {
				s.st.heartbeatFail--
			}
			return rpcError(req, -32000, "Sandbox is not running")
		}
		return obj{"jsonrpc": "2.0", "method": "heartbeat.ack", "params": obj{"timestamp": now.UnixMilli()}}
	case "message.send":
		text, _ := req.params["text"].(string)
		reply := echoReply(text)
		s.rememberLocked(a, text, reply)
		return rpcResult(req, obj{"text": reply, "metadata": obj{"timestamp": now.UnixMilli()}})
	case "status.get":
		return rpcResult(req, obj{"status": "running", "uptime": now.Sub(a.startedAt).Seconds(),
			"memoriesCount": len(a.memories), "startedAt": iso(a.startedAt)})
	}
	return rpcError(req, -32601, "Method not found: "+req.method)
}
