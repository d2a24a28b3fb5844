package api

import (
	"fmt"
	"net/http"
	"sync"

	"github.com/milady-ai/milady-cloud/app"
)

// chatInput decodes and checks a chat body with app's rules before anything
// is sent; it answers 400/413 itself.
func (s *server) chatInput(w http.ResponseWriter, r *http.Request) (app.ChatInput, bool) {
	body, ok := readObject(w, r)
	if !ok {
		return app.ChatInput{}, false
	}
	text, _, err := body.str("text")
	if err != nil {
		text = "" // a non-string text is a missing one
	}
	if err := app.ValidChatText(text); err != nil {
		s.writeError(w, r, err)
		return app.ChatInput{}, false
	}
	room, _, err := body.str("roomId")
	if badRequest(w, err) {
		return app.ChatInput{}, false
	}
	channel, hasChannel, err := body.str("channelType")
	if badRequest(w, err) {
		return app.ChatInput{}, false
	}
	if hasChannel {
		if err := app.ValidChannelType(channel); err != nil {
			s.writeError(w, r, err)
			return app.ChatInput{}, false
		}
	}
	return app.ChatInput{Text: text, RoomID: room, ChannelType: channel}, true
}

// chat sends one message and answers the whole reply.
func (s *server) chat(w http.ResponseWriter, r *http.Request) {
	in, ok := s.chatInput(w, r)
	if !ok {
		return
	}
	reply, err := s.talk.Send(r.Context(), in)
	s.reply(w, r, err, http.StatusOK, reply)
}

// AgentIDHeader is set on the answer of POST /api/chat/stream to the id
// the Backend passed to onStart, so a client learns the agent before the
// first chunk (the window's own process hands it to its onStart); the
// "done" event carries it again for clients that read only the body.
const AgentIDHeader = "X-Agent-Id"

// chatStream answers JSON errors until the Backend calls onStart (e.g. 409
// when not connected), and SSE after it: a "chunk" per chunk, flushed at
// once, then "done" or "error".
func (s *server) chatStream(w http.ResponseWriter, r *http.Request) {
	in, ok := s.chatInput(w, r)
	if !ok {
		return
	}
	var (
		mu      sync.Mutex
		sse     *sseWriter
		agentID string
		ended   bool // the handler has returned; w must not be touched
	)
	onStart := func(id string) {
		mu.Lock()
		defer mu.Unlock()
		if sse == nil && !ended {
			agentID = id
			if id != "" {
				w.Header().Set(AgentIDHeader, id)
			}
			sse = startSSE(w)
		}
	}
	onChunk := func(text string) error {
		mu.Lock()
		defer mu.Unlock()
		if ended {
			return fmt.Errorf("write chunk: stream already ended")
		}
		if sse == nil { // a Backend that skipped onStart
			sse = startSSE(w)
		}
		return sse.event("chunk", ChatChunkEvent{Text: text})
	}
	err := s.talk.Stream(r.Context(), in, onStart, onChunk)

	mu.Lock()
	defer mu.Unlock()
	ended = true
	if sse == nil {
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		sse = startSSE(w)
	}
	if err != nil {
		a := s.answer(w, r, err)
		_ = sse.event("error", ChatErrorEvent{Error: a.message}) // the client may be gone
		return
	}
	_ = sse.event("done", ChatDoneEvent{AgentID: agentID})
}

// chatHistory lists stored messages of a room (default "web-chat").
func (s *server) chatHistory(w http.ResponseWriter, r *http.Request) {
	room := r.URL.Query().Get("roomId")
	if room == "" {
		room = app.DefaultRoom
	}
	msgs, err := s.talk.History(r.Context(), room)
	s.reply(w, r, err, http.StatusOK, ChatHistoryResponse{OK: true, Messages: nonNil(msgs)})
}
