package cloud

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"

	"github.com/google/uuid"
)

// noResponse is what an empty reply reads as (Milady's wording).
const noResponse = "(no response)"

// rpcRequest is a JSON-RPC 2.0 call sent through the cloud's bridge.
type rpcRequest struct {
	JSONRPC string `json:"jsonrpc"`
	ID      string `json:"id,omitempty"`
	Method  string `json:"method"`
	Params  any    `json:"params,omitempty"`
}

// rpcResponse is the bridge's answer. The cloud returns HTTP 200 even when
// the sandbox is down, with the failure in "error".
type rpcResponse struct {
	Method string          `json:"method"`
	Result json.RawMessage `json:"result"`
	Error  json.RawMessage `json:"error"`
}

// rpcErr returns the JSON-RPC error in the body, or nil when there is none.
func (r *rpcResponse) rpcErr() error {
	if len(r.Error) == 0 || string(r.Error) == "null" {
		return nil
	}
	var e struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	if json.Unmarshal(r.Error, &e) != nil {
		e.Message = jsonString(r.Error)
	}
	if e.Message == "" {
		e.Message = "the agent bridge returned an error without a message"
	}
	return &RPCError{Code: e.Code, Message: relayed(e.Message)}
}

func (r *rpcResponse) hasResult() bool { return len(r.Result) > 0 && string(r.Result) != "null" }

// messageParams are message.send's params (roomId and channelType with
// Milady's defaults).
type messageParams struct {
	Text        string `json:"text"`
	RoomID      string `json:"roomId"`
	ChannelType string `json:"channelType"`
}

func paramsFor(msg Message) messageParams {
	p := messageParams(msg)
	if p.RoomID == "" {
		p.RoomID = DefaultRoom
	}
	if p.ChannelType == "" {
		p.ChannelType = DefaultChannel
	}
	return p
}

// bridge posts one JSON-RPC call and returns the parsed answer. A non-2xx
// status or a non-JSON body is an error; a JSON-RPC error is left for the
// caller to inspect.
func (c *Client) bridge(ctx context.Context, agentID string, call rpcRequest, timeout time.Duration) (*rpcResponse, error) {
	if agentID == "" {
		return nil, errNoAgentID
	}
	call.JSONRPC = "2.0"
	r := request{method: http.MethodPost, path: agentPath(agentID, "/bridge"), auth: authAPIKey, body: call, timeout: timeout}
	var resp rpcResponse
	if err := c.doJSON(ctx, r, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// Heartbeat sends the bridge "heartbeat". The agent is alive only when the
// status is 2xx, the body has no "error", and it is a heartbeat.ack or
// carries a result: the cloud answers HTTP 200 with a JSON-RPC error when
// the sandbox is not running, which Milady mistook for alive.
func (c *Client) Heartbeat(ctx context.Context, agentID string) error {
	resp, err := c.bridge(ctx, agentID, rpcRequest{Method: "heartbeat"}, c.timeouts.Heartbeat)
	if err != nil {
		return fmt.Errorf("heartbeat %s: %w", agentID, err)
	}
	if err := resp.rpcErr(); err != nil {
		return fmt.Errorf("heartbeat %s: %w", agentID, err)
	}
	if resp.Method != "heartbeat.ack" && !resp.hasResult() {
		return fmt.Errorf("heartbeat %s: %w: neither heartbeat.ack nor a result", agentID, ErrMalformed)
	}
	return nil
}

// SendMessage sends message.send and returns the reply text, or
// "(no response)" when the agent answered nothing.
func (c *Client) SendMessage(ctx context.Context, agentID string, msg Message) (string, error) {
	start := c.clock.Now()
	resp, err := c.bridge(ctx, agentID, rpcRequest{ID: uuid.NewString(), Method: "message.send", Params: paramsFor(msg)}, c.timeouts.Message)
	if err != nil {
		return "", fmt.Errorf("send message to %s: %w", agentID, err)
	}
	if err := resp.rpcErr(); err != nil {
		return "", fmt.Errorf("send message to %s: %w", agentID, c.slowAgent(err, c.clock.Now().Sub(start)))
	}
	var result struct {
		Text string `json:"text"`
	}
	if resp.hasResult() && json.Unmarshal(resp.Result, &result) != nil {
		return "", fmt.Errorf("send message to %s: %w: result is not an object", agentID, ErrMalformed)
	}
	if result.Text == "" {
		return noResponse, nil
	}
	return result.Text, nil
}

// AgentStatus calls status.get over the bridge.
func (c *Client) AgentStatus(ctx context.Context, agentID string) (*AgentStatus, error) {
	resp, err := c.bridge(ctx, agentID, rpcRequest{ID: uuid.NewString(), Method: "status.get"}, c.timeouts.REST)
	if err != nil {
		return nil, fmt.Errorf("get status of %s: %w", agentID, err)
	}
	if err := resp.rpcErr(); err != nil {
		return nil, fmt.Errorf("get status of %s: %w", agentID, err)
	}
	var st AgentStatus
	if !resp.hasResult() || json.Unmarshal(resp.Result, &st) != nil {
		return nil, fmt.Errorf("get status of %s: %w: no status result", agentID, ErrMalformed)
	}
	return &st, nil
}

// Stream sends message.send to the SSE endpoint and hands each "chunk"
// event's text to onChunk as soon as it is parsed. An "error" event is
// returned as an *RPCError (Milady dropped it and showed an empty reply);
// "done" ends the stream. No timeout applies once the stream is open: it
// ends with ctx; until the response headers arrive, the message timeout
// does. An error from onChunk stops the stream and is returned.
func (c *Client) Stream(ctx context.Context, agentID string, msg Message, onChunk func(text string) error) error {
	if agentID == "" {
		return fmt.Errorf("stream message: %w", errNoAgentID)
	}
	start := c.clock.Now()
	call := rpcRequest{JSONRPC: "2.0", ID: uuid.NewString(), Method: "message.send", Params: paramsFor(msg)}
	r := request{method: http.MethodPost, path: agentPath(agentID, "/stream"), auth: authAPIKey, body: call, stream: true,
		headerTimeout: c.timeouts.Message}
	resp, rctx, cancel, err := c.open(ctx, r)
	if err != nil {
		return fmt.Errorf("stream message to %s: %w", agentID, err)
	}
	defer cancel()
	defer resp.Body.Close()
	mediaType, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if resp.StatusCode < 200 || resp.StatusCode > 299 || mediaType == "application/json" {
		body, rerr := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
		if rerr != nil {
			return fmt.Errorf("stream message to %s: %w", agentID, c.transportError(ctx, r, rerr))
		}
		return fmt.Errorf("stream message to %s: %w", agentID, statusError(resp.StatusCode, body))
	}
	events := NewSSEReader(resp.Body)
	for {
		ev, err := events.Next()
		if err != nil && rctx.Err() != nil {
			// Cancellation can surface as a clean EOF when the server
			// ends the response as the connection closes.
			return fmt.Errorf("stream message to %s: %w", agentID, c.transportError(ctx, r, ctx.Err()))
		}
		if errors.Is(err, io.EOF) {
			early := &unreachableError{cause: errors.New("the stream closed before the reply was complete")}
			return fmt.Errorf("stream message to %s: %w", agentID, c.slowStream(early, c.clock.Now().Sub(start)))
		}
		if err != nil {
			if errors.Is(err, ErrMalformed) {
				return fmt.Errorf("stream message to %s: %w", agentID, err)
			}
			return fmt.Errorf("stream message to %s: %w", agentID, c.transportError(ctx, r, err))
		}
		switch ev.Event {
		case "chunk":
			var chunk struct {
				Text string `json:"text"`
			}
			if json.Unmarshal([]byte(ev.Data), &chunk) != nil {
				c.log.Debug("skipping unparseable stream chunk", "agent", agentID)
				continue
			}
			if chunk.Text == "" {
				continue
			}
			if err := onChunk(chunk.Text); err != nil {
				return err
			}
		case "error":
			var e struct {
				Message string `json:"message"`
			}
			if json.Unmarshal([]byte(ev.Data), &e) != nil {
				e.Message = ev.Data
			}
			if e.Message == "" {
				e.Message = "the agent's stream failed without a message"
			}
			return fmt.Errorf("stream message to %s: %w", agentID, &RPCError{Message: relayed(e.Message)})
		case "done":
			return nil
		}
		// "connected" and anything else carry nothing for the reader.
	}
}
