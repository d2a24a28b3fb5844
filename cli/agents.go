package cli

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"text/tabwriter"
)

// agent is one row of GET /api/cloud/agents.
type agent struct {
	ID        string `json:"id"`
	AgentName string `json:"agentName"`
	Status    string `json:"status"`
}

func init() {
	register(command{name: "agents", summary: "list your agents in Eliza Cloud (a table)", run: onInstance("agents", runAgents)})
	register(command{name: "connect", args: "<name|id>", summary: "connect to an agent (provisions it when needed)", run: runConnect})
	register(command{name: "disconnect", summary: "disconnect from the connected agent (a final backup is taken)", run: onInstance("disconnect", runDisconnect)})
	register(command{name: "logout", summary: "log out of Eliza Cloud (removes the saved key)", run: onInstance("logout", runLogout)})
}

func (c *client) agents(ctx context.Context) ([]agent, error) {
	var r struct {
		Agents []agent `json:"agents"`
	}
	err := c.call(ctx, "GET", "/api/cloud/agents", nil, &r)
	return r.Agents, err
}

// findAgent matches an id exactly, else a name ignoring case; a name that
// several agents share is an error listing their ids.
func findAgent(list []agent, key string) (agent, error) {
	var byName []agent
	for _, a := range list {
		if a.ID == key {
			return a, nil
		}
		if strings.EqualFold(a.AgentName, key) {
			byName = append(byName, a)
		}
	}
	switch len(byName) {
	case 1:
		return byName[0], nil
	case 0:
		return agent{}, fmt.Errorf("no agent named or with id %q (see milady-cloud agents)", key)
	}
	ids := make([]string, len(byName))
	for i, a := range byName {
		ids[i] = a.ID
	}
	return agent{}, fmt.Errorf("%d agents are named %q; connect by id: %s", len(byName), key, strings.Join(ids, ", "))
}

func runAgents(ctx context.Context, e *Env, c *client) int {
	list, err := c.agents(ctx)
	if err != nil {
		return fail(e, c, "agents", err)
	}
	if len(list) == 0 {
		fmt.Fprintln(e.Stdout, "No agents yet. Create one in the dashboard (milady-cloud open).")
		return ExitOK
	}
	connected := ""
	if s, err := c.snapshot(ctx); err == nil && s.Connection.State == "connected" {
		connected = s.Connection.AgentID
	}
	st := newStyle(e, e.Stdout)
	tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATUS\tID\t")
	for _, a := range list {
		name := a.AgentName
		if a.ID == connected {
			name = "* " + name
		} else {
			name = "  " + name
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t\n", name, a.Status, a.ID)
	}
	_ = tw.Flush()
	if connected != "" {
		fmt.Fprintln(e.Stdout, st.dim("* connected"))
	}
	return ExitOK
}

func runConnect(ctx context.Context, e *Env, args []string) int {
	fs := newFlags(e, "connect").withPort()
	c, code, ok := fs.client(args, 1, 1)
	if !ok {
		return code
	}
	a, code := connectTo(ctx, e, c, fs.Arg(0))
	if code != ExitOK {
		return code
	}
	fmt.Fprintf(e.Stdout, "Connected to %s (%s)\n", a.AgentName, a.ID)
	return ExitOK
}

// connectTo finds the agent by name or id and connects to it, with a
// spinner while the cloud provisions it.
func connectTo(ctx context.Context, e *Env, c *client, key string) (agent, int) {
	list, err := c.agents(ctx)
	if err != nil {
		return agent{}, fail(e, c, "connect", err)
	}
	a, err := findAgent(list, key)
	if err != nil {
		fmt.Fprintf(e.Stderr, "milady-cloud: connect: %v\n", err)
		return agent{}, ExitFailure
	}
	sp := startSpinner(e.Stderr, "Connecting to "+a.AgentName+"…")
	err = c.call(ctx, "POST", "/api/cloud/agents/"+url.PathEscape(a.ID)+"/connect", map[string]any{}, nil)
	sp.Stop()
	if err != nil {
		return agent{}, fail(e, c, "connect to "+a.AgentName, err)
	}
	return a, ExitOK
}

func runDisconnect(ctx context.Context, e *Env, c *client) int {
	s, err := c.snapshot(ctx)
	if err != nil {
		return fail(e, c, "disconnect", err)
	}
	if s.Connection.AgentID == "" {
		fmt.Fprintln(e.Stdout, "Not connected to an agent.")
		return ExitOK
	}
	sp := startSpinner(e.Stderr, "Disconnecting (final backup)…")
	err = c.call(ctx, "POST", "/api/cloud/agents/"+url.PathEscape(s.Connection.AgentID)+"/disconnect", map[string]any{}, nil)
	sp.Stop()
	if err != nil {
		return fail(e, c, "disconnect", err)
	}
	fmt.Fprintf(e.Stdout, "Disconnected from %s.\n", strings.TrimSpace(s.Connection.AgentName+" ("+s.Connection.AgentID+")"))
	return ExitOK
}

func runLogout(ctx context.Context, e *Env, c *client) int {
	var r struct {
		KeyStillValid bool   `json:"keyStillValid"`
		RevokeURL     string `json:"revokeUrl"`
	}
	if err := c.call(ctx, "POST", "/api/cloud/disconnect", map[string]any{}, &r); err != nil {
		return fail(e, c, "logout", err)
	}
	fmt.Fprintln(e.Stdout, "Logged out of Eliza Cloud.")
	// A key cannot revoke itself: say so, so nobody thinks it is dead.
	if r.KeyStillValid && r.RevokeURL != "" {
		fmt.Fprintf(e.Stdout, "The key stays valid until you revoke it on the Eliza Cloud dashboard: %s\n", r.RevokeURL)
	}
	return ExitOK
}
