package apptest

import (
	"context"

	"github.com/milady-ai/milady-cloud/app"
)

// SteppedChatStream is a chat stream for the fakes' ChatStream hooks that
// proves a transport streams rather than buffers: it names agentID, sends
// "Hel", then waits for next (closed by the test once it has read the
// first chunk) before sending `lo "world"` and a newline — quote and
// newline included so the framing is exercised too.
func SteppedChatStream(agentID string, next <-chan struct{}) func(ctx context.Context, in app.ChatInput, onStart func(string), onChunk func(string) error) error {
	return func(ctx context.Context, _ app.ChatInput, onStart func(string), onChunk func(string) error) error {
		onStart(agentID)
		if err := onChunk("Hel"); err != nil {
			return err
		}
		select {
		case <-next:
		case <-ctx.Done():
			return ctx.Err()
		}
		return onChunk("lo \"world\"\n")
	}
}

// EndlessChatStream is a chat stream that sends "x" until the transport
// stops it (a chunk write fails or the request's context ends), and then
// reports why on stopped: a test cancels its reader and checks the
// Service's side saw it.
func EndlessChatStream(agentID string, stopped chan<- error) func(ctx context.Context, in app.ChatInput, onStart func(string), onChunk func(string) error) error {
	return func(ctx context.Context, _ app.ChatInput, onStart func(string), onChunk func(string) error) error {
		onStart(agentID)
		for {
			if err := onChunk("x"); err != nil {
				stopped <- err
				return err
			}
			if ctx.Err() != nil {
				stopped <- ctx.Err()
				return ctx.Err()
			}
		}
	}
}
