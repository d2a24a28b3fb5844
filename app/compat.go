package app

import (
	"context"

	"github.com/milady-ai/milady-cloud/cloud"
)

// The flat methods below keep the faces' Backend interface satisfied while
// the faces move to the parts (Service.Agents, Service.Conversation). They
// go once the faces call the parts.

// Conversation is the chat part of the Service.
func (s *Service) Conversation() *Chat { return &s.chat }

func (s *Service) ListAgents(ctx context.Context) ([]cloud.Agent, error) { return s.agents.List(ctx) }
func (s *Service) CreateAgent(ctx context.Context, in CreateAgentInput) (*cloud.Agent, error) {
	return s.agents.Create(ctx, in)
}
func (s *Service) GetAgent(ctx context.Context, id string) (*cloud.Agent, error) {
	return s.agents.Get(ctx, id)
}
func (s *Service) ConnectAgent(ctx context.Context, id string) (ConnectResult, error) {
	return s.agents.Connect(ctx, id)
}
func (s *Service) ConnectAgentAsync(ctx context.Context, id string) (ConnectResult, error) {
	return s.agents.ConnectAsync(ctx, id)
}
func (s *Service) DisconnectAgent(ctx context.Context, id string) error {
	return s.agents.Disconnect(ctx, id)
}
func (s *Service) ShutdownAgent(ctx context.Context, id string) error {
	return s.agents.Shutdown(ctx, id)
}
func (s *Service) SuspendAgent(ctx context.Context, id string) error {
	return s.agents.Suspend(ctx, id)
}
func (s *Service) ResumeAgent(ctx context.Context, id string) error { return s.agents.Resume(ctx, id) }
func (s *Service) ListBackups(ctx context.Context, id string) ([]cloud.Backup, error) {
	return s.agents.Backups(ctx, id)
}
func (s *Service) SnapshotAgent(ctx context.Context, id string) (*cloud.Backup, error) {
	return s.agents.Backup(ctx, id)
}
func (s *Service) RestoreAgent(ctx context.Context, id, backupID string) (*cloud.RestoreResult, error) {
	return s.agents.Restore(ctx, id, backupID)
}
func (s *Service) Chat(ctx context.Context, in ChatInput) (ChatReply, error) {
	return s.chat.Send(ctx, in)
}
func (s *Service) ChatStream(ctx context.Context, in ChatInput, onStart func(string), onChunk func(string) error) error {
	return s.chat.Stream(ctx, in, onStart, onChunk)
}
func (s *Service) ChatHistory(ctx context.Context, roomID string) ([]ChatMessage, error) {
	return s.chat.History(ctx, roomID)
}
func (s *Service) ConnectLastAgent(ctx context.Context) (ConnectResult, error) {
	return s.agents.ConnectLast(ctx)
}
