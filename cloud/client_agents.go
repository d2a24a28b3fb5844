package cloud

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// agentsPath is the canonical sandbox prefix (the server also serves the
// older "/api/v1/milaidy" spelling as an alias).
const agentsPath = "/api/v1/milady/agents"

// errNoAgentID is returned before any request when the id is empty.
var errNoAgentID = errors.New("agent id is required")

func agentPath(id string, suffix string) string {
	return agentsPath + "/" + url.PathEscape(id) + suffix
}

// ListAgents returns the organization's agents, newest first. A success
// answer without data is an empty list (as Milady reads it).
func (c *Client) ListAgents(ctx context.Context) ([]Agent, error) {
	r := request{method: http.MethodGet, path: agentsPath, auth: authAPIKey, timeout: c.timeouts.REST}
	var agents []Agent
	if _, err := c.doData(ctx, r, &agents); err != nil {
		return nil, fmt.Errorf("list agents: %w", err)
	}
	if agents == nil {
		agents = []Agent{}
	}
	return agents, nil
}

// CreateAgent creates an agent (status "pending"; provision it to run it).
func (c *Client) CreateAgent(ctx context.Context, req CreateAgentRequest) (*Agent, error) {
	r := request{method: http.MethodPost, path: agentsPath, auth: authAPIKey, body: req, timeout: c.timeouts.REST}
	var a Agent
	if err := c.requireData(ctx, r, &a); err != nil {
		return nil, fmt.Errorf("create agent: %w", err)
	}
	return &a, nil
}

// GetAgent returns one agent's detail.
func (c *Client) GetAgent(ctx context.Context, agentID string) (*Agent, error) {
	if agentID == "" {
		return nil, fmt.Errorf("get agent: %w", errNoAgentID)
	}
	r := request{method: http.MethodGet, path: agentPath(agentID, ""), auth: authAPIKey, timeout: c.timeouts.REST}
	var a Agent
	if err := c.requireData(ctx, r, &a); err != nil {
		return nil, fmt.Errorf("get agent %s: %w", agentID, err)
	}
	return &a, nil
}

// DeleteAgent destroys the agent and its backups (no final snapshot). Use
// SuspendAgent for a non-destructive stop.
func (c *Client) DeleteAgent(ctx context.Context, agentID string) error {
	if agentID == "" {
		return fmt.Errorf("delete agent: %w", errNoAgentID)
	}
	r := request{method: http.MethodDelete, path: agentPath(agentID, ""), auth: authAPIKey, timeout: c.timeouts.REST}
	if _, err := c.doData(ctx, r, nil); err != nil {
		return fmt.Errorf("delete agent %s: %w", agentID, err)
	}
	return nil
}

// AgentActionResult is what suspend (and an already-running resume) answer.
type AgentActionResult struct {
	AgentID        string `json:"agentId"`
	Action         string `json:"action"`
	Message        string `json:"message"`
	PreviousStatus string `json:"previousStatus,omitempty"`
	Status         string `json:"status,omitempty"`
}

// SuspendAgent stops the agent without deleting it (the server takes a
// pre-shutdown backup first).
func (c *Client) SuspendAgent(ctx context.Context, agentID string) (*AgentActionResult, error) {
	if agentID == "" {
		return nil, fmt.Errorf("suspend agent: %w", errNoAgentID)
	}
	r := request{method: http.MethodPost, path: agentPath(agentID, "/suspend"), auth: authAPIKey, timeout: c.timeouts.REST}
	var res AgentActionResult
	if _, err := c.doData(ctx, r, &res); err != nil {
		return nil, fmt.Errorf("suspend agent %s: %w", agentID, err)
	}
	if res.AgentID == "" {
		res.AgentID = agentID
	}
	return &res, nil
}

// ResumeAgent starts a stopped agent; like Provision it may queue a job,
// which is waited for.
func (c *Client) ResumeAgent(ctx context.Context, agentID string) (*ProvisionResult, error) {
	return c.startAgent(ctx, "resume", agentID)
}

// Provision starts the agent. 200 means it is running; 202, or 409 with
// alreadyInProgress, hands back a job that is polled (on the client's
// Clock, bounded by JobTimeout) until it completes or fails.
func (c *Client) Provision(ctx context.Context, agentID string) (*ProvisionResult, error) {
	return c.startAgent(ctx, "provision", agentID)
}

// startResponse covers the provision/resume answers: the running shape
// (data.id or data.agentId) and the job shape (data.jobId + polling).
type startResponse struct {
	Success           *bool           `json:"success"`
	Error             json.RawMessage `json:"error"`
	AlreadyInProgress bool            `json:"alreadyInProgress"`
	Data              *struct {
		ID        string `json:"id"`
		AgentID   string `json:"agentId"`
		AgentName string `json:"agentName"`
		Status    string `json:"status"`
		JobID     string `json:"jobId"`
	} `json:"data"`
	Polling *struct {
		IntervalMs int64 `json:"intervalMs"`
	} `json:"polling"`
}

// startAgent is POST /agents/{id}/{action} for "provision" and "resume",
// which answer alike; errors name the action and the agent.
func (c *Client) startAgent(ctx context.Context, action, agentID string) (*ProvisionResult, error) {
	if agentID == "" {
		return nil, fmt.Errorf("%s agent: %w", action, errNoAgentID)
	}
	res, err := c.startAgentCall(ctx, agentID, "/"+action)
	if err != nil {
		return nil, fmt.Errorf("%s agent %s: %w", action, agentID, err)
	}
	return res, nil
}

func (c *Client) startAgentCall(ctx context.Context, agentID, suffix string) (*ProvisionResult, error) {
	r := request{method: http.MethodPost, path: agentPath(agentID, suffix), auth: authAPIKey, timeout: c.timeouts.Provision}
	status, body, err := c.exchange(ctx, r)
	if err != nil {
		return nil, err
	}
	var sr startResponse
	jsonErr := json.Unmarshal(body, &sr)
	queued := status == http.StatusAccepted || (status == http.StatusConflict && jsonErr == nil && sr.AlreadyInProgress)
	if !queued && (status < 200 || status > 299) {
		return nil, statusError(status, body)
	}
	if jsonErr != nil {
		return nil, malformed(r, jsonErr)
	}
	if sr.Success != nil && !*sr.Success {
		return nil, statusError(status, body)
	}
	res := &ProvisionResult{AgentID: agentID, Status: "running"}
	if sr.Data != nil {
		res.AgentName = sr.Data.AgentName
		if sr.Data.ID != "" {
			res.AgentID = sr.Data.ID
		} else if sr.Data.AgentID != "" {
			res.AgentID = sr.Data.AgentID
		}
		if sr.Data.Status != "" {
			res.Status = sr.Data.Status
		}
		res.JobID = sr.Data.JobID
	}
	if !queued {
		return res, nil
	}
	if res.JobID == "" {
		return nil, malformed(r, errors.New("queued answer without a jobId"))
	}
	interval := int64(0)
	if sr.Polling != nil {
		interval = sr.Polling.IntervalMs
	}
	c.log.Info("cloud provisioning queued", "agent", agentID, "job", res.JobID, "alreadyInProgress", sr.AlreadyInProgress)
	return c.waitForJob(ctx, res, interval)
}

// JobFailedError is a provisioning job that ended in "failed"; Message is
// the job's own error.
type JobFailedError struct {
	JobID   string
	Message string
}

func (e *JobFailedError) Error() string { return "provisioning failed: " + relayed(e.Message) }

// Is reports ErrUpstream.
func (e *JobFailedError) Is(target error) bool { return target == ErrUpstream }

// jobResponse is GET /api/v1/jobs/{id}.
type jobResponse struct {
	ID          string          `json:"id"`
	Status      string          `json:"status"`
	Error       json.RawMessage `json:"error"`
	Attempts    int             `json:"attempts"`
	MaxAttempts int             `json:"maxAttempts"`
	Result      *struct {
		CloudAgentID string `json:"cloudAgentId"`
		Status       string `json:"status"`
		Error        string `json:"error"`
	} `json:"result"`
}

// clampPoll keeps a server-named poll interval within 50 ms..10 s (5 s when
// none is named).
func clampPoll(ms int64) time.Duration {
	if ms <= 0 {
		return 5 * time.Second
	}
	d := time.Duration(ms) * time.Millisecond
	return min(max(d, 50*time.Millisecond), 10*time.Second)
}

// waitForJob polls the job until it completes or fails, at most JobTimeout.
// Two Clock timers are armed while it waits: the overall deadline and the
// next poll. Transient poll failures (5xx, timeouts, resets) are retried;
// a job that vanished (404) or a rejected key ends the wait.
func (c *Client) waitForJob(ctx context.Context, res *ProvisionResult, intervalMs int64) (*ProvisionResult, error) {
	jobTimeout := c.jobTimeout
	if d, ok := ctx.Value(jobWaitKey{}).(time.Duration); ok && d > 0 {
		jobTimeout = d
	}
	deadline := c.clock.NewTimer(jobTimeout)
	defer deadline.Stop()
	r := request{method: http.MethodGet, path: "/api/v1/jobs/" + url.PathEscape(res.JobID), auth: authAPIKey, timeout: c.timeouts.REST}
	interval := clampPoll(intervalMs)
	progress := progressFrom(ctx)
	var last JobProgress
	report := func(p JobProgress) {
		if progress != nil && (p.Phase != last.Phase || p.Attempts != last.Attempts || p.Status != last.Status) {
			last = p
			progress(p)
		}
	}
	report(JobProgress{JobID: res.JobID, Phase: JobQueued, Status: "pending", MaxAttempts: 3})
	for {
		switch err := c.pollWait(ctx, deadline, interval); {
		case errors.Is(err, errPollDeadline):
			return nil, &timeoutError{op: "provisioning job " + res.JobID, after: jobTimeout, cause: context.DeadlineExceeded}
		case err != nil:
			return nil, err
		}
		var env struct {
			Data    *jobResponse `json:"data"`
			Polling *struct {
				IntervalMs int64 `json:"intervalMs"`
			} `json:"polling"`
		}
		err := c.doJSON(ctx, r, &env)
		switch {
		case err == nil && env.Data == nil:
			err = malformed(r, errors.New("no job data"))
		case err != nil && ctx.Err() != nil:
			return nil, ctx.Err()
		case errors.Is(err, ErrNotFound), errors.Is(err, ErrUnauthorized), errors.Is(err, ErrBlockedURL), errors.Is(err, ErrRedirect):
			return nil, fmt.Errorf("poll provisioning job %s: %w", res.JobID, err)
		}
		if err != nil {
			c.log.Warn("polling provisioning job failed; retrying", "job", res.JobID, "error", err)
			continue
		}
		if env.Polling != nil && env.Polling.IntervalMs > 0 {
			interval = clampPoll(env.Polling.IntervalMs)
		}
		job := env.Data
		p := JobProgress{JobID: res.JobID, Status: job.Status, Attempts: job.Attempts, MaxAttempts: job.MaxAttempts, Error: jsonString(job.Error)}
		if p.MaxAttempts <= 0 {
			p.MaxAttempts = 3
		}
		p.Phase, p.Retry = jobPhase(job.Status, job.Attempts, p.Error != "")
		report(p)
		switch job.Status {
		case "completed":
			out := *res
			out.Status = "running"
			if job.Result != nil {
				if job.Result.CloudAgentID != "" {
					out.AgentID = job.Result.CloudAgentID
				}
				if job.Result.Status != "" {
					out.Status = job.Result.Status
				}
			}
			return &out, nil
		case "failed":
			msg := jsonString(job.Error)
			if msg == "" && job.Result != nil {
				msg = job.Result.Error
			}
			if msg == "" {
				msg = "the provisioning job failed without a message"
			}
			return nil, &JobFailedError{JobID: res.JobID, Message: relayed(msg)}
		}
	}
}

// Snapshot takes a manual backup. The server names it "backupId" (Milady
// expected "id"; both are read).
func (c *Client) Snapshot(ctx context.Context, agentID string) (*Backup, error) {
	if agentID == "" {
		return nil, fmt.Errorf("snapshot agent: %w", errNoAgentID)
	}
	r := request{method: http.MethodPost, path: agentPath(agentID, "/snapshot"), auth: authAPIKey, timeout: c.timeouts.REST}
	var data struct {
		Backup
		BackupID string `json:"backupId"`
	}
	if err := c.requireData(ctx, r, &data); err != nil {
		return nil, fmt.Errorf("snapshot agent %s: %w", agentID, err)
	}
	b := data.Backup
	if data.BackupID != "" {
		b.ID = data.BackupID
	}
	if b.ID == "" {
		return nil, fmt.Errorf("snapshot agent %s: %w", agentID, malformed(r, errors.New("no backupId")))
	}
	return &b, nil
}

// ListBackups returns the agent's stored backups, newest first.
func (c *Client) ListBackups(ctx context.Context, agentID string) ([]Backup, error) {
	if agentID == "" {
		return nil, fmt.Errorf("list backups: %w", errNoAgentID)
	}
	r := request{method: http.MethodGet, path: agentPath(agentID, "/backups"), auth: authAPIKey, timeout: c.timeouts.REST}
	var backups []Backup
	if _, err := c.doData(ctx, r, &backups); err != nil {
		return nil, fmt.Errorf("list backups of %s: %w", agentID, err)
	}
	if backups == nil {
		backups = []Backup{}
	}
	return backups, nil
}

// Restore pushes a backup into the agent: the latest when backupID is "",
// else that one. A stopped agent is provisioned synchronously by the server
// (latest backup only).
func (c *Client) Restore(ctx context.Context, agentID, backupID string) (*RestoreResult, error) {
	if agentID == "" {
		return nil, fmt.Errorf("restore agent: %w", errNoAgentID)
	}
	body := map[string]string{}
	if backupID != "" {
		body["backupId"] = backupID
	}
	r := request{method: http.MethodPost, path: agentPath(agentID, "/restore"), auth: authAPIKey, body: body, timeout: c.timeouts.Provision}
	var res RestoreResult
	if _, err := c.doData(ctx, r, &res); err != nil {
		return nil, fmt.Errorf("restore agent %s: %w", agentID, err)
	}
	return &res, nil
}

// requireData is doData for calls whose answer must carry data.
func (c *Client) requireData(ctx context.Context, r request, out any) error {
	ok, err := c.doData(ctx, r, out)
	if err != nil {
		return err
	}
	if !ok {
		return malformed(r, errors.New("no data in the answer"))
	}
	return nil
}
