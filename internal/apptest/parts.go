package apptest

import (
	"context"
	"errors"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/cloud"
)

// AgentsPart is the fake's agent part, what a face's Agents interface
// asks; its calls are recorded on the Backend under the Service's old flat
// names ("ListAgents", "ConnectAgent", ...), so tests read one call list.
type AgentsPart struct{ b *Backend }

// Agents is the fake's agent part.
func (b *Backend) Agents() AgentsPart { return AgentsPart{b} }

// ChatPart is the fake's chat part, what a face's Chat interface asks;
// calls are recorded as "Chat", "ChatStream" and "ChatHistory".
type ChatPart struct{ b *Backend }

// Chat is the fake's chat part.
func (b *Backend) Chat() ChatPart { return ChatPart{b} }

// BillingPart is the fake's credits part, what a face's Billing interface
// asks; calls are recorded as "Credits", "CreditHistory", "TopUp" and
// "Usage".
type BillingPart struct{ b *Backend }

// Billing is the fake's credits part.
func (b *Backend) Billing() BillingPart { return BillingPart{b} }

// Credits implements the faces' Billing.
func (p BillingPart) Credits(ctx context.Context, fresh bool) app.CreditsResponse {
	b := p.b
	_ = b.record(ctx, "Credits", fresh)
	if b.CreditsFn != nil {
		return b.CreditsFn(ctx, fresh)
	}
	return app.CreditsResponse{}
}

// CreditHistory implements the faces' Billing.
func (p BillingPart) CreditHistory(ctx context.Context) ([]app.BalanceSample, error) {
	b := p.b
	if err := b.record(ctx, "CreditHistory"); err != nil {
		return nil, err
	}
	if b.CreditHistoryFn != nil {
		return b.CreditHistoryFn(ctx)
	}
	return nil, nil
}

// TopUp implements the faces' Billing; by default it answers the billing
// page of the real cloud.
func (p BillingPart) TopUp(ctx context.Context, credits int) (app.TopUpResponse, error) {
	b := p.b
	if err := b.record(ctx, "TopUp", credits); err != nil {
		return app.TopUpResponse{}, err
	}
	if b.TopUpFn != nil {
		return b.TopUpFn(ctx, credits)
	}
	return app.TopUpResponse{OK: true, URL: cloud.TopUpURL}, nil
}

// Usage implements the faces' Billing; by default no transactions.
func (p BillingPart) Usage(ctx context.Context, hours, limit int) (app.UsageResponse, error) {
	b := p.b
	if err := b.record(ctx, "Usage", hours, limit); err != nil {
		return app.UsageResponse{}, err
	}
	if b.UsageFn != nil {
		return b.UsageFn(ctx, hours, limit)
	}
	return app.UsageResponse{Transactions: []app.UsageTransaction{}, Hours: hours}, nil
}

// List implements the faces' Agents (recorded as "ListAgents").
func (p AgentsPart) List(ctx context.Context) ([]cloud.Agent, error) {
	b := p.b
	if err := b.record(ctx, "ListAgents"); err != nil {
		return nil, err
	}
	if b.ListAgentsFn != nil {
		return b.ListAgentsFn(ctx)
	}
	return nil, nil
}

// Create implements the faces' Agents (recorded as "CreateAgent").
func (p AgentsPart) Create(ctx context.Context, in app.CreateAgentInput) (*cloud.Agent, error) {
	b := p.b
	if err := b.record(ctx, "CreateAgent", in); err != nil {
		return nil, err
	}
	if b.CreateAgentFn != nil {
		return b.CreateAgentFn(ctx, in)
	}
	return nil, errors.New("apptest: CreateAgent not configured")
}

// Get implements the faces' Agents (recorded as "GetAgent").
func (p AgentsPart) Get(ctx context.Context, id string) (*cloud.Agent, error) {
	b := p.b
	if err := b.record(ctx, "GetAgent", id); err != nil {
		return nil, err
	}
	if b.GetAgentFn != nil {
		return b.GetAgentFn(ctx, id)
	}
	return &cloud.Agent{ID: id}, nil
}

// Connect implements the faces' Agents (recorded as "ConnectAgent").
func (p AgentsPart) Connect(ctx context.Context, id string) (app.ConnectResult, error) {
	b := p.b
	if err := b.record(ctx, "ConnectAgent", id); err != nil {
		return app.ConnectResult{}, err
	}
	if b.ConnectAgentFn != nil {
		return b.ConnectAgentFn(ctx, id)
	}
	return app.ConnectResult{OK: true, AgentID: id, Status: "connected"}, nil
}

// ConnectAsync implements the faces' Agents (recorded as "ConnectAgentAsync").
func (p AgentsPart) ConnectAsync(ctx context.Context, id string) (app.ConnectResult, error) {
	b := p.b
	if err := b.record(ctx, "ConnectAgentAsync", id); err != nil {
		return app.ConnectResult{}, err
	}
	if b.ConnectAgentAsyncFn != nil {
		return b.ConnectAgentAsyncFn(ctx, id)
	}
	return app.ConnectResult{OK: true, AgentID: id, Status: "connecting"}, nil
}

// ConnectLast implements the faces' Agents (recorded as "ConnectLastAgent").
func (p AgentsPart) ConnectLast(ctx context.Context) (app.ConnectResult, error) {
	b := p.b
	if err := b.record(ctx, "ConnectLastAgent"); err != nil {
		return app.ConnectResult{}, err
	}
	if b.ConnectLastAgentFn != nil {
		return b.ConnectLastAgentFn(ctx)
	}
	return app.ConnectResult{}, app.ErrChooseAgent
}

func (b *Backend) agentCall(ctx context.Context, method, id string) error {
	if err := b.record(ctx, method, id); err != nil {
		return err
	}
	if b.AgentErrFn != nil {
		return b.AgentErrFn(ctx, method, id)
	}
	return nil
}

// Disconnect implements the faces' Agents (recorded as "DisconnectAgent").
func (p AgentsPart) Disconnect(ctx context.Context, id string) error {
	b := p.b
	return b.agentCall(ctx, "DisconnectAgent", id)
}

// Shutdown implements the faces' Agents (recorded as "ShutdownAgent").
func (p AgentsPart) Shutdown(ctx context.Context, id string) error {
	b := p.b
	return b.agentCall(ctx, "ShutdownAgent", id)
}

// Suspend implements the faces' Agents (recorded as "SuspendAgent").
func (p AgentsPart) Suspend(ctx context.Context, id string) error {
	b := p.b
	return b.agentCall(ctx, "SuspendAgent", id)
}

// Resume implements the faces' Agents (recorded as "ResumeAgent").
func (p AgentsPart) Resume(ctx context.Context, id string) error {
	b := p.b
	return b.agentCall(ctx, "ResumeAgent", id)
}

// Open implements the faces' Agents (recorded as "OpenAgent").
func (p AgentsPart) Open(ctx context.Context, id string) error {
	b := p.b
	return b.agentCall(ctx, "OpenAgent", id)
}

// Backups implements the faces' Agents (recorded as "ListBackups").
func (p AgentsPart) Backups(ctx context.Context, id string) ([]cloud.Backup, error) {
	b := p.b
	if err := b.record(ctx, "ListBackups", id); err != nil {
		return nil, err
	}
	if b.ListBackupsFn != nil {
		return b.ListBackupsFn(ctx, id)
	}
	return nil, nil
}

// Backup implements the faces' Agents (recorded as "SnapshotAgent").
func (p AgentsPart) Backup(ctx context.Context, id string) (*cloud.Backup, error) {
	b := p.b
	if err := b.record(ctx, "SnapshotAgent", id); err != nil {
		return nil, err
	}
	if b.SnapshotAgentFn != nil {
		return b.SnapshotAgentFn(ctx, id)
	}
	return &cloud.Backup{}, nil
}

// Restore implements the faces' Agents (recorded as "RestoreAgent").
func (p AgentsPart) Restore(ctx context.Context, id, backupID string) (*cloud.RestoreResult, error) {
	b := p.b
	if err := b.record(ctx, "RestoreAgent", id, backupID); err != nil {
		return nil, err
	}
	if b.RestoreAgentFn != nil {
		return b.RestoreAgentFn(ctx, id, backupID)
	}
	return &cloud.RestoreResult{RestoredFromBackupID: backupID}, nil
}

// Send implements the faces' Chat (recorded as "Chat").
func (p ChatPart) Send(ctx context.Context, in app.ChatInput) (app.ChatReply, error) {
	b := p.b
	if err := b.record(ctx, "Chat", in); err != nil {
		return app.ChatReply{}, err
	}
	if b.ChatFn != nil {
		return b.ChatFn(ctx, in)
	}
	return app.ChatReply{}, nil
}

// Stream implements the faces' Chat (recorded as "ChatStream"); without ChatStreamFn it starts
// and streams nothing.
func (p ChatPart) Stream(ctx context.Context, in app.ChatInput, onStart func(string), onChunk func(string) error) error {
	b := p.b
	if err := b.record(ctx, "ChatStream", in); err != nil {
		return err
	}
	if b.ChatStreamFn != nil {
		return b.ChatStreamFn(ctx, in, onStart, onChunk)
	}
	onStart("")
	return nil
}

// History implements the faces' Chat (recorded as "ChatHistory").
func (p ChatPart) History(ctx context.Context, roomID string) ([]app.ChatMessage, error) {
	b := p.b
	if err := b.record(ctx, "ChatHistory", roomID); err != nil {
		return nil, err
	}
	if b.ChatHistoryFn != nil {
		return b.ChatHistoryFn(ctx, roomID)
	}
	return nil, nil
}
