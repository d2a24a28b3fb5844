package remote_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/cloud"
	"github.com/milady-ai/milady-cloud/internal/apptest"
)

// TestChatStream: onStart gets the agent before any chunk, each chunk
// arrives while the parent is still producing the next (streamed, not
// buffered), and "done" ends the call without an error.
func TestChatStream(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	next := make(chan struct{})
	h.b.ChatStreamFn = apptest.SteppedChatStream(agentID, next)
	var started string
	chunks := make(chan string, 2)
	done := make(chan error, 1)
	in := app.ChatInput{Text: "hi", RoomID: "r1"}
	go func() {
		done <- h.c.Chat().Stream(t.Context(), in,
			func(id string) { started = id },
			func(text string) error {
				if started == "" {
					return errors.New("a chunk came before onStart")
				}
				chunks <- text
				return nil
			})
	}()
	if got := apptest.Receive(t, chunks, wait, "the first chunk"); got != "Hel" {
		t.Fatalf("first chunk %q", got)
	}
	close(next)
	if got := apptest.Receive(t, chunks, wait, "the second chunk"); got != "lo \"world\"\n" {
		t.Fatalf("second chunk %q", got)
	}
	if err := apptest.Receive(t, done, wait, "the end of the stream"); err != nil {
		t.Fatalf("Stream: %v", err)
	}
	if started != agentID {
		t.Errorf("onStart got %q, want %q", started, agentID)
	}
	h.checkArgs(t, "ChatStream", in)
}

// TestChatStreamErrors: a refusal before the stream is the API's error
// answer (onStart is not called); an error after it is the "error" event's
// message; an error from onChunk ends the request, which stops the parent.
func TestChatStreamErrors(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	ctx := t.Context()
	in := app.ChatInput{Text: "hi"}
	noStart := func(string) { t.Error("onStart called for a refused stream") }
	noChunk := func(string) error { return nil }

	h.b.ChatStreamFn = func(context.Context, app.ChatInput, func(string), func(string) error) error {
		return cloud.ErrNotConnected
	}
	err := h.c.Chat().Stream(ctx, in, noStart, noChunk)
	checkAPIError(t, err, http.StatusConflict, app.KindConflict, cloud.ErrNotConnected.Error())

	h.b.ChatStreamFn = func(_ context.Context, _ app.ChatInput, onStart func(string), onChunk func(string) error) error {
		onStart(agentID)
		if err := onChunk("partial"); err != nil {
			return err
		}
		return &app.Error{Kind: app.KindUpstream, Message: "agent crashed"}
	}
	var got []string
	err = h.c.Chat().Stream(ctx, in, func(string) {}, func(s string) error { got = append(got, s); return nil })
	if err == nil || err.Error() != "agent crashed" || len(got) != 1 || got[0] != "partial" {
		t.Fatalf("Stream = %v after chunks %q; want \"agent crashed\" after \"partial\"", err, got)
	}

	stopped := make(chan error, 1)
	h.b.ChatStreamFn = apptest.EndlessChatStream(agentID, stopped)
	errEnough := errors.New("enough")
	err = h.c.Chat().Stream(ctx, in, func(string) {}, func(string) error { return errEnough })
	if !errors.Is(err, errEnough) {
		t.Fatalf("Stream = %v, want onChunk's error", err)
	}
	apptest.Receive(t, stopped, wait, "the parent to stop streaming once the window stopped reading")
}
