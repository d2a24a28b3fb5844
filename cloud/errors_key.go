package cloud

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// ErrKeyRejected is a 401 to a call made with the API key: the key was
// revoked or has expired, and every later call with it will fail the same
// way, so the app should ask the user to log in again rather than retry.
// It also matches ErrUnauthorized.
var ErrKeyRejected = errors.New("the Eliza Cloud key was rejected (revoked or expired)")

// keyRejected: any 401 except the edge's "session only" refusal, which is
// about the route (a browser session is needed), not about the key.
func (e *HTTPError) keyRejected() bool {
	return e.Status == http.StatusUnauthorized && e.Code != "session_auth_required"
}

// msgBridgeUnreachable is the server's JSON-RPC error both for a dead
// sandbox and for message.send cut off by its 30 s limit.
const msgBridgeUnreachable = "Sandbox bridge is unreachable"

// AgentTooSlowError is message.send answered "Sandbox bridge is
// unreachable" only after about the server's 30 s limit: the agent was
// thinking too long, the sandbox is probably fine, and the streaming route
// (120 s) may get the reply. It matches ErrTimeout.
type AgentTooSlowError struct {
	Elapsed time.Duration // how long the call took
	Limit   time.Duration // the server's limit (Timeouts.BridgeAbort or StreamAbort)
	Cause   error         // the bridge's *RPCError, or the stream's early close
}

func (e *AgentTooSlowError) Error() string {
	return fmt.Sprintf("the agent took too long to answer (Eliza Cloud stops waiting after %s)", e.Limit)
}

// Is reports ErrTimeout.
func (e *AgentTooSlowError) Is(target error) bool { return target == ErrTimeout }

// Unwrap returns the bridge's own error.
func (e *AgentTooSlowError) Unwrap() error { return e.Cause }

// slowAgent turns the bridge's "unreachable" into AgentTooSlowError when
// the call lasted at least 90% of the server's limit; the same text after
// a short call means the sandbox is really unreachable.
func (c *Client) slowAgent(err error, elapsed time.Duration) error {
	var re *RPCError
	if !errors.As(err, &re) || re.Message != msgBridgeUnreachable {
		return err
	}
	limit := c.timeouts.BridgeAbort
	if elapsed < limit*9/10 {
		return err
	}
	return &AgentTooSlowError{Elapsed: elapsed, Limit: limit, Cause: re}
}

// slowStream turns a stream that closed without its "done" into
// AgentTooSlowError when it lasted at least 90% of the stream route's
// limit: the server cut the reply off, the sandbox is fine.
func (c *Client) slowStream(err error, elapsed time.Duration) error {
	var ue *unreachableError
	limit := c.timeouts.StreamAbort
	if !errors.As(err, &ue) || elapsed < limit*9/10 {
		return err
	}
	return &AgentTooSlowError{Elapsed: elapsed, Limit: limit, Cause: ue}
}
