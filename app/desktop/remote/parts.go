package remote

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/app/api"
	"github.com/milady-ai/milady-cloud/cloud"
)

// agents is desktop.Agents over the /api/cloud/agents routes.
type agents struct{ c *Client }

// agentPath is the path of one agent, or of an action on it. The id is
// escaped so that whatever the page passes stays one path segment, and
// the API answers an id that is not a UUID with its own 400.
func agentPath(id, action string) string {
	p := "/api/cloud/agents/" + url.PathEscape(id)
	if action != "" {
		p += "/" + action
	}
	return p
}

// List is GET /api/cloud/agents.
func (a agents) List(ctx context.Context) ([]cloud.Agent, error) {
	var res api.AgentsResponse
	if err := a.c.call(ctx, http.MethodGet, "/api/cloud/agents", nil, &res); err != nil {
		return nil, err
	}
	return res.Agents, nil
}

// Create is POST /api/cloud/agents.
func (a agents) Create(ctx context.Context, in app.CreateAgentInput) (*cloud.Agent, error) {
	var res api.AgentResponse
	if err := a.c.call(ctx, http.MethodPost, "/api/cloud/agents", in, &res); err != nil {
		return nil, err
	}
	return res.Agent, nil
}

// Get is GET /api/cloud/agents/{id}.
func (a agents) Get(ctx context.Context, id string) (*cloud.Agent, error) {
	var res api.AgentResponse
	if err := a.c.call(ctx, http.MethodGet, agentPath(id, ""), nil, &res); err != nil {
		return nil, err
	}
	return res.Agent, nil
}

// Connect is POST /api/cloud/agents/{id}/connect; it answers when the
// agent is connected, which may take minutes while the cloud provisions.
func (a agents) Connect(ctx context.Context, id string) (app.ConnectResult, error) {
	var res app.ConnectResult
	if err := a.c.call(ctx, http.MethodPost, agentPath(id, "connect"), nil, &res); err != nil {
		return app.ConnectResult{}, err
	}
	return res, nil
}

// ConnectAsync is POST /api/cloud/agents/{id}/connect?async=1.
func (a agents) ConnectAsync(ctx context.Context, id string) (app.ConnectResult, error) {
	var res app.ConnectResult
	if err := a.c.call(ctx, http.MethodPost, agentPath(id, "connect")+"?async=1", nil, &res); err != nil {
		return app.ConnectResult{}, err
	}
	return res, nil
}

// action runs one of the lifecycle routes, whose answer carries nothing
// the interface returns.
func (a agents) action(ctx context.Context, id, action string) error {
	var res api.AgentActionResponse
	return a.c.call(ctx, http.MethodPost, agentPath(id, action), nil, &res)
}

// Disconnect is POST /api/cloud/agents/{id}/disconnect.
func (a agents) Disconnect(ctx context.Context, id string) error {
	return a.action(ctx, id, "disconnect")
}

// Shutdown is POST /api/cloud/agents/{id}/shutdown.
func (a agents) Shutdown(ctx context.Context, id string) error {
	return a.action(ctx, id, "shutdown")
}

// Suspend is POST /api/cloud/agents/{id}/suspend.
func (a agents) Suspend(ctx context.Context, id string) error {
	return a.action(ctx, id, "suspend")
}

// Resume is POST /api/cloud/agents/{id}/resume.
func (a agents) Resume(ctx context.Context, id string) error {
	return a.action(ctx, id, "resume")
}

// Backups is GET /api/cloud/agents/{id}/backups.
func (a agents) Backups(ctx context.Context, id string) ([]cloud.Backup, error) {
	var res api.BackupsResponse
	if err := a.c.call(ctx, http.MethodGet, agentPath(id, "backups"), nil, &res); err != nil {
		return nil, err
	}
	return res.Backups, nil
}

// Backup is POST /api/cloud/agents/{id}/snapshot.
func (a agents) Backup(ctx context.Context, id string) (*cloud.Backup, error) {
	var res api.BackupResponse
	if err := a.c.call(ctx, http.MethodPost, agentPath(id, "snapshot"), nil, &res); err != nil {
		return nil, err
	}
	return res.Backup, nil
}

// restoreBody is POST …/restore; no backupId restores the latest backup.
type restoreBody struct {
	BackupID string `json:"backupId,omitempty"`
}

// Restore is POST /api/cloud/agents/{id}/restore.
func (a agents) Restore(ctx context.Context, id, backupID string) (*cloud.RestoreResult, error) {
	var res api.RestoreResponse
	if err := a.c.call(ctx, http.MethodPost, agentPath(id, "restore"), restoreBody{BackupID: backupID}, &res); err != nil {
		return nil, err
	}
	return res.Restore, nil
}

// Open is POST /api/cloud/agents/{id}/open: the parent opens the agent's
// web UI (the URL carries a short-lived credential and never comes back).
func (a agents) Open(ctx context.Context, id string) error {
	return a.c.call(ctx, http.MethodPost, agentPath(id, "open"), nil, nil)
}

// billing is desktop.Billing over the credit routes.
type billing struct{ c *Client }

// Credits is GET /api/cloud/credits[?fresh=1]. The route reports the
// cloud's problems inside its answer; a parent that does not answer is
// reported the same way, so the page shows it beside the balance.
func (b billing) Credits(ctx context.Context, fresh bool) app.CreditsResponse {
	path := "/api/cloud/credits"
	if fresh {
		path += "?fresh=1"
	}
	var res app.CreditsResponse
	if err := b.c.call(ctx, http.MethodGet, path, nil, &res); err != nil {
		b.c.log.Warn("remote: could not read the credits", "err", err)
		return app.CreditsResponse{Error: err.Error()}
	}
	return res
}

// CreditHistory is GET /api/cloud/credits/history.
func (b billing) CreditHistory(ctx context.Context) ([]app.BalanceSample, error) {
	var res api.CreditHistoryResponse
	if err := b.c.call(ctx, http.MethodGet, "/api/cloud/credits/history", nil, &res); err != nil {
		return nil, err
	}
	return res.Samples, nil
}

// topUpBody is POST /api/cloud/topup; no credits takes the default.
type topUpBody struct {
	Credits int `json:"credits,omitempty"`
}

// TopUp is POST /api/cloud/topup; the parent opens the checkout.
func (b billing) TopUp(ctx context.Context, credits int) (app.TopUpResponse, error) {
	var res app.TopUpResponse
	if err := b.c.call(ctx, http.MethodPost, "/api/cloud/topup", topUpBody{Credits: credits}, &res); err != nil {
		return app.TopUpResponse{}, err
	}
	return res, nil
}

// Usage is GET /api/cloud/usage?hours=&limit= (0 leaves either out: the
// defaults).
func (b billing) Usage(ctx context.Context, hours, limit int) (app.UsageResponse, error) {
	path := queryPath("/api/cloud/usage", "hours", nonZero(hours), "limit", nonZero(limit))
	var res app.UsageResponse
	if err := b.c.call(ctx, http.MethodGet, path, nil, &res); err != nil {
		return app.UsageResponse{}, err
	}
	return res, nil
}

// nonZero is n in decimal, or "" for 0.
func nonZero(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}
