package app

import (
	"context"
	"fmt"
	"strings"

	"github.com/milady-ai/milady-cloud/app/store"
	"github.com/milady-ai/milady-cloud/cloud"
)

// Chat is the part of the Service that talks to the connected agent and
// keeps the conversation in the local history; reach it with Service.Chat.
type Chat struct{ s *Service }

// Chat is the conversation part of the Service.
func (s *Service) Chat() *Chat { return &s.chat }

// chatProxy validates the input and returns the connected agent's proxy.
func (s *Service) chatProxy(in *ChatInput) (*cloud.Proxy, error) {
	if err := ValidChatText(in.Text); err != nil {
		return nil, err
	}
	if in.RoomID == "" {
		in.RoomID = DefaultRoom
	}
	if err := checkRoomID(in.RoomID); err != nil {
		return nil, err
	}
	if in.ChannelType == "" {
		in.ChannelType = cloud.DefaultChannel
	}
	if err := ValidChannelType(in.ChannelType); err != nil {
		return nil, err
	}
	// Logged out or not, chat without a connected agent is "not connected"
	// (409), the answer a chat client can act on.
	return s.mgr.Proxy()
}

// Send sends one message to the connected agent and returns the reply.
func (c *Chat) Send(ctx context.Context, in ChatInput) (ChatReply, error) {
	s := c.s
	p, err := s.chatProxy(&in)
	if err != nil {
		return ChatReply{}, err
	}
	s.storeChat(p.AgentID(), in.RoomID, "user", in.Text)
	reply, err := p.Send(ctx, in.Text, in.RoomID, in.ChannelType)
	if err != nil {
		return ChatReply{}, err
	}
	s.storeChat(p.AgentID(), in.RoomID, "agent", reply)
	s.mgr.MarkActivity() // the agent's memory changed: the next backup is due
	s.refreshCreditsSoon()
	return ChatReply{Text: reply, AgentID: p.AgentID()}, nil
}

// Stream streams the reply chunk by chunk.
func (c *Chat) Stream(ctx context.Context, in ChatInput, onStart func(agentID string), onChunk func(text string) error) error {
	s := c.s
	p, err := s.chatProxy(&in)
	if err != nil {
		return err
	}
	onStart(p.AgentID())
	s.storeChat(p.AgentID(), in.RoomID, "user", in.Text)
	var full strings.Builder
	err = p.Stream(ctx, in.Text, in.RoomID, in.ChannelType, func(chunk string) error {
		full.WriteString(chunk)
		return onChunk(chunk)
	})
	if full.Len() > 0 {
		s.storeChat(p.AgentID(), in.RoomID, "agent", full.String())
		s.mgr.MarkActivity()
	}
	s.refreshCreditsSoon()
	return err
}

func (s *Service) storeChat(agentID, room, role, text string) {
	m := store.ChatMessage{At: s.clk.Now(), AgentID: agentID, RoomID: room, Role: role, Text: text}
	s.history.record(func(ctx context.Context) { _ = s.db.AddChatMessage(ctx, m) })
}

// History returns the stored messages of a room with the connected (or
// last) agent, oldest first.
func (c *Chat) History(ctx context.Context, roomID string) ([]ChatMessage, error) {
	s := c.s
	if roomID == "" {
		roomID = DefaultRoom
	}
	if err := checkRoomID(roomID); err != nil {
		return nil, err
	}
	agent := s.conn.agentOrLast()
	out := []ChatMessage{}
	if agent == "" {
		return out, nil
	}
	rows, err := s.db.ChatMessages(ctx, agent, roomID, 500)
	if err != nil {
		return nil, fmt.Errorf("read chat history: %w", err)
	}
	for _, r := range rows {
		out = append(out, ChatMessage{At: r.At, AgentID: r.AgentID, RoomID: r.RoomID, Role: r.Role, Text: r.Text})
	}
	return out, nil
}
