package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/app/api"
	"github.com/milady-ai/milady-cloud/cloud"
)

// chat is desktop.Chat over /api/chat, /api/chat/stream and
// /api/chat/history.
type chat struct{ c *Client }

// Send is POST /api/chat: the whole reply at once.
func (ch chat) Send(ctx context.Context, in app.ChatInput) (app.ChatReply, error) {
	var res app.ChatReply
	if err := ch.c.call(ctx, http.MethodPost, "/api/chat", in, &res); err != nil {
		return app.ChatReply{}, err
	}
	return res, nil
}

// History is GET /api/chat/history[?roomId=] ("" is the default room, as
// in the Service).
func (ch chat) History(ctx context.Context, roomID string) ([]app.ChatMessage, error) {
	var res api.ChatHistoryResponse
	if err := ch.c.call(ctx, http.MethodGet, queryPath("/api/chat/history", "roomId", roomID), nil, &res); err != nil {
		return nil, err
	}
	return res.Messages, nil
}

// Messages of a stream that ends badly, in the dashboard's words for the
// same cases in a browser.
const (
	cutOffMessage      = "The reply was cut off before it finished."
	agentFailedMessage = "The agent failed to reply."
)

// Stream is POST /api/chat/stream. A refusal before the stream starts is
// a JSON error answer (the same error as Send's); once the parent has
// started it, onStart gets the agent's id from the answer's header, each
// "chunk" event goes to onChunk as it arrives, and "done" or "error" ends
// it. An error from onChunk stops reading, which closes the request, and
// the parent stops the reply.
func (ch chat) Stream(ctx context.Context, in app.ChatInput, onStart func(agentID string), onChunk func(text string) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err := ch.c.newRequest(ctx, http.MethodPost, "/api/chat/stream", in, "text/event-stream")
	if err != nil {
		return err
	}
	res, err := ch.c.send(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type")); mt != "text/event-stream" {
		return &app.Error{Kind: app.KindUpstream, Message: "Milady Cloud answered something unreadable",
			Err: fmt.Errorf("remote: POST /api/chat/stream: answer of type %q, want an event stream", res.Header.Get("Content-Type"))}
	}
	onStart(res.Header.Get(api.AgentIDHeader))
	sse := cloud.NewSSEReader(res.Body)
	for {
		ev, err := sse.Next()
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return fmt.Errorf("remote: chat stream: %w", ctxErr)
			}
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return &app.Error{Kind: app.KindUnavailable, Message: cutOffMessage, Err: fmt.Errorf("remote: read chat stream: %w", err)}
		}
		switch ev.Event {
		case "chunk":
			var c api.ChatChunkEvent
			if json.Unmarshal([]byte(ev.Data), &c) != nil {
				ch.c.log.Debug("remote: skipped an unreadable chat chunk")
				continue
			}
			if err := onChunk(c.Text); err != nil {
				return err
			}
		case "done":
			return nil
		case "error":
			var e api.ChatErrorEvent
			_ = json.Unmarshal([]byte(ev.Data), &e) // unreadable: the generic words below
			msg := e.Error
			if msg == "" {
				msg = agentFailedMessage
			}
			// The status the parent mapped the error to is not sent once
			// the stream has started, so the kind is unknown.
			return &app.Error{Message: msg, Err: errors.New("remote: chat stream ended with an error event")}
		}
	}
}
