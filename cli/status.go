package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// snapshot is the part of GET /api/cloud/snapshot the terminal shows. It is
// decoded from JSON, not imported, so the CLI depends on the REST contract
// only.
type snapshot struct {
	Sim            bool   `json:"sim"`
	BaseURL        string `json:"baseUrl"`
	LoggedIn       bool   `json:"loggedIn"`
	KeyPrefix      string `json:"keyPrefix"`
	UserID         string `json:"userId"`
	OrganizationID string `json:"organizationId"`
	Email          string `json:"userEmail"`
	// IdentityChecked: the instance has asked the cloud who the key belongs
	// to, so an empty Email means the account has none.
	IdentityChecked bool `json:"identityChecked"`
	Connection      struct {
		State           string     `json:"state"`
		AgentID         string     `json:"agentId"`
		AgentName       string     `json:"agentName"`
		Since           *time.Time `json:"since"`
		LastError       string     `json:"lastError"`
		LastHeartbeatAt *time.Time `json:"lastHeartbeatAt"`
		LastBackupAt    *time.Time `json:"lastBackupAt"`
	} `json:"connection"`
	Credits struct {
		Balance  *float64 `json:"balance"`
		Level    string   `json:"level"`
		TopUpURL string   `json:"topUpUrl"`
		Error    string   `json:"error"`
	} `json:"credits"`
}

func (c *client) snapshot(ctx context.Context) (snapshot, error) {
	var s snapshot
	err := c.call(ctx, "GET", "/api/cloud/snapshot", nil, &s)
	return s, err
}

// account names who is logged in: the e-mail when the instance knows it,
// else the key's prefix.
func (s snapshot) account() string {
	switch {
	case !s.LoggedIn:
		return "not logged in"
	case s.Email != "":
		return s.Email
	case s.KeyPrefix != "":
		return "key " + s.KeyPrefix + "…"
	}
	return "logged in"
}

// statusJSON is `status --json`: a stable shape for scripts.
type statusJSON struct {
	Instance        string     `json:"instance"`
	Sim             bool       `json:"sim"`
	State           string     `json:"state"`
	LoggedIn        bool       `json:"loggedIn"`
	Email           string     `json:"email,omitempty"`
	KeyPrefix       string     `json:"keyPrefix,omitempty"`
	UserID          string     `json:"userId,omitempty"`
	Balance         *float64   `json:"balance"`
	Level           string     `json:"level,omitempty"`
	AgentID         string     `json:"agentId,omitempty"`
	AgentName       string     `json:"agentName,omitempty"`
	LastError       string     `json:"lastError,omitempty"`
	LastHeartbeatAt *time.Time `json:"lastHeartbeatAt"`
	LastBackupAt    *time.Time `json:"lastBackupAt"`
}

func init() {
	register(command{name: "status", summary: "show the connection, account, balance, agent, last heartbeat and backup", run: runStatus})
	register(command{name: "credits", summary: "show the credit balance and where to top up", run: onInstance("credits", runCredits)})
}

func runStatus(ctx context.Context, e *Env, args []string) int {
	fs := newFlags(e, "status").withPort()
	asJSON := fs.Bool("json", false, "print JSON for scripts")
	c, code, ok := fs.client(args, 0, 0)
	if !ok {
		return code
	}
	s, err := c.snapshot(ctx)
	if err != nil {
		return fail(e, c, "status", err)
	}
	if *asJSON {
		out := statusJSON{Instance: c.base, Sim: s.Sim, State: s.Connection.State, LoggedIn: s.LoggedIn, Email: s.Email,
			KeyPrefix: s.KeyPrefix, UserID: s.UserID, Balance: s.Credits.Balance, Level: s.Credits.Level,
			AgentID: s.Connection.AgentID, AgentName: s.Connection.AgentName, LastError: s.Connection.LastError,
			LastHeartbeatAt: s.Connection.LastHeartbeatAt, LastBackupAt: s.Connection.LastBackupAt}
		enc := json.NewEncoder(e.Stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(out)
		return ExitOK
	}
	st := newStyle(e, e.Stdout)
	now := time.Now()
	state := s.Connection.State
	switch state {
	case "connected":
		state = st.green(state)
	case "error":
		state = st.red(state)
	case "connecting", "reconnecting":
		state = st.yellow(state)
	}
	if s.Connection.Since != nil && !s.Connection.Since.IsZero() {
		state += st.dim(" (since " + ago(now, *s.Connection.Since) + ")")
	}
	row := func(k, v string) { fmt.Fprintf(e.Stdout, "%-11s %s\n", k+":", v) }
	row("Instance", c.base+map[bool]string{true: " (simulator)", false: ""}[s.Sim])
	row("State", state)
	if s.Connection.LastError != "" {
		row("Last error", st.red(s.Connection.LastError))
	}
	row("Account", s.account())
	row("Balance", balanceText(st, s.Credits.Balance, s.Credits.Level, s.Credits.Error))
	agent := "none"
	if s.Connection.AgentID != "" {
		agent = strings.TrimSpace(s.Connection.AgentName + " (" + s.Connection.AgentID + ")")
	}
	row("Agent", agent)
	row("Heartbeat", when(now, s.Connection.LastHeartbeatAt))
	row("Backup", when(now, s.Connection.LastBackupAt))
	return ExitOK
}

func balanceText(st style, bal *float64, level, errMsg string) string {
	if bal == nil {
		if errMsg != "" {
			return "unknown (" + errMsg + ")"
		}
		return "unknown"
	}
	text := fmt.Sprintf("%.2f credits", *bal)
	switch level {
	case "critical":
		return text + " " + st.red("(critical)")
	case "low":
		return text + " " + st.yellow("(low)")
	case "":
		return text
	}
	return text + " (" + level + ")"
}

func when(now time.Time, t *time.Time) string {
	if t == nil || t.IsZero() {
		return "never"
	}
	return t.Local().Format("2006-01-02 15:04:05") + " (" + ago(now, *t) + ")"
}

func ago(now, t time.Time) string {
	d := now.Sub(t).Round(time.Second)
	if d < 0 {
		d = 0
	}
	return d.String() + " ago"
}

func usageErr(e *Env, cmd string, err error) int {
	fmt.Fprintf(e.Stderr, "milady-cloud %s: %v\n", cmd, err)
	return ExitUsage
}

func runCredits(ctx context.Context, e *Env, c *client) int {
	var r struct {
		Connected bool     `json:"connected"`
		Balance   *float64 `json:"balance"`
		Low       bool     `json:"low"`
		Critical  bool     `json:"critical"`
		TopUpURL  string   `json:"topUpUrl"`
		Error     string   `json:"error"`
	}
	if err := c.call(ctx, "GET", "/api/cloud/credits", nil, &r); err != nil {
		return fail(e, c, "credits", err)
	}
	if !r.Connected {
		fmt.Fprintln(e.Stderr, "milady-cloud: credits: not logged in to Eliza Cloud; run `milady-cloud login`")
		return ExitNotLoggedIn
	}
	level := "ok"
	if r.Critical {
		level = "critical"
	} else if r.Low {
		level = "low"
	}
	fmt.Fprintf(e.Stdout, "Balance: %s\n", balanceText(newStyle(e, e.Stdout), r.Balance, level, r.Error))
	if r.TopUpURL != "" {
		fmt.Fprintf(e.Stdout, "Top up:  %s\n", r.TopUpURL)
	}
	if r.Balance == nil {
		return ExitFailure
	}
	return ExitOK
}
