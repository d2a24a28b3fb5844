package app_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/cloud"
	"github.com/milady-ai/milady-cloud/cloud/cloudsim"

	"github.com/milady-ai/milady-cloud/internal/apptest"
)

// simAgent creates an agent in the simulator with a key of its own, as an
// earlier run of the app would have.
func simAgent(t *testing.T, sim *cloudsim.Server, name string) (key string, a *cloud.Agent) {
	t.Helper()
	key = sim.NewAPIKey()
	c, err := cloud.NewClient(cloud.ClientOptions{BaseURL: sim.URL(), APIKey: key, RootCAs: sim.CertPool(), AllowLoopback: true})
	if err != nil {
		t.Fatal(err)
	}
	a, err = c.CreateAgent(context.Background(), cloud.CreateAgentRequest{AgentName: name})
	if err != nil {
		t.Fatalf("create agent: %v", err)
	}
	return key, a
}

// After a restart that does not reconnect, the snapshot names the last
// agent (the tray's "Connect to <agent>"), not just its id.
func TestLastAgentNameResolvedAtStart(t *testing.T) {
	sim := cloudsim.Start(t, cloudsim.Options{JobPollIntervalMs: 10})
	key, a := simAgent(t, sim, "Remilia")
	h := newHarness(t, harnessOpts{sim: sim, configText: fmt.Sprintf(`{"cloud":{"apiKey":%q},"desktop":{"lastAgentId":%q}}`, key, a.ID)})
	apptest.Eventually(t, waitLimit, "the last agent's name", func() bool {
		s := h.svc.Snapshot()
		return s.LastAgentID == a.ID && s.LastAgentName == "Remilia"
	})
	if st := h.svc.Snapshot().Connection.State; st != cloud.StateDisconnected {
		t.Errorf("connection = %s; resolving the name must not connect", st)
	}
	if n := sim.CountRequests("POST", "/api/v1/milady/agents/"+a.ID+"/provision"); n != 0 {
		t.Errorf("%d provision requests; resolving the name must not provision", n)
	}
}

// Logging in with a last agent already in the config names it too.
func TestLastAgentNameResolvedAfterLogin(t *testing.T) {
	sim := cloudsim.Start(t, cloudsim.Options{JobPollIntervalMs: 10})
	_, a := simAgent(t, sim, "Remilia")
	h := newHarness(t, harnessOpts{sim: sim, configText: fmt.Sprintf(`{"desktop":{"lastAgentId":%q}}`, a.ID)})
	if s := h.svc.Snapshot(); s.LastAgentName != "" || s.LoggedIn {
		t.Fatalf("before login: %+v", s)
	}
	h.login()
	apptest.Eventually(t, waitLimit, "the last agent's name", func() bool { return h.svc.Snapshot().LastAgentName == "Remilia" })
}

// A last agent that no longer exists keeps its id and costs one request.
func TestLastAgentNameOfDeletedAgent(t *testing.T) {
	sim := cloudsim.Start(t, cloudsim.Options{JobPollIntervalMs: 10})
	key := sim.NewAPIKey()
	gone := uuid.NewString()
	h := newHarness(t, harnessOpts{sim: sim, configText: fmt.Sprintf(`{"cloud":{"apiKey":%q},"desktop":{"lastAgentId":%q}}`, key, gone)})
	apptest.Eventually(t, waitLimit, "the lookup", func() bool { return sim.CountRequests("GET", "/api/v1/milady/agents/"+gone) == 1 })
	if s := h.svc.Snapshot(); s.LastAgentID != gone || s.LastAgentName != "" {
		t.Errorf("last agent = %q %q, want the id kept and no name", s.LastAgentID, s.LastAgentName)
	}
}

// ConnectLastAgent holds the tray's one-click choice: the remembered agent,
// else the account's only agent; with none or several it asks the face to
// let the user choose (app.ErrChooseAgent) and connects nothing.
func TestConnectLastAgent(t *testing.T) {
	newSim := func(t *testing.T) *cloudsim.Server { return cloudsim.Start(t, cloudsim.Options{JobPollIntervalMs: 10}) }
	connected := func(h *harness, id string) {
		t.Helper()
		apptest.Eventually(t, waitLimit, "connected to "+id, func() bool {
			c := h.svc.Snapshot().Connection
			return c.State == cloud.StateConnected && c.AgentID == id
		})
	}
	t.Run("remembered agent", func(t *testing.T) {
		sim := newSim(t)
		key, a := simAgent(t, sim, "Remilia")
		addAgent(t, sim, key, "Other")
		h := newHarness(t, harnessOpts{sim: sim, configText: fmt.Sprintf(`{"cloud":{"apiKey":%q},"desktop":{"lastAgentId":%q}}`, key, a.ID)})
		if r, err := h.svc.Agents().ConnectLast(context.Background()); err != nil || r.AgentID != a.ID {
			t.Fatalf("ConnectLastAgent = %+v, %v; want %s", r, err, a.ID)
		}
		connected(h, a.ID)
	})
	t.Run("only agent", func(t *testing.T) {
		sim := newSim(t)
		key, a := simAgent(t, sim, "Solo")
		h := newHarness(t, harnessOpts{sim: sim, configText: fmt.Sprintf(`{"cloud":{"apiKey":%q}}`, key)})
		if r, err := h.svc.Agents().ConnectLast(context.Background()); err != nil || r.AgentID != a.ID {
			t.Fatalf("ConnectLastAgent = %+v, %v; want %s", r, err, a.ID)
		}
		connected(h, a.ID)
	})
	for _, n := range []int{0, 2} {
		t.Run(fmt.Sprintf("%d agents", n), func(t *testing.T) {
			sim := newSim(t)
			key := sim.NewAPIKey()
			for i := range n {
				addAgent(t, sim, key, fmt.Sprintf("A%d", i))
			}
			h := newHarness(t, harnessOpts{sim: sim, configText: fmt.Sprintf(`{"cloud":{"apiKey":%q}}`, key)})
			if _, err := h.svc.Agents().ConnectLast(context.Background()); !errors.Is(err, app.ErrChooseAgent) {
				t.Fatalf("ConnectLastAgent err = %v, want ErrChooseAgent", err)
			}
			if st := h.svc.Snapshot().Connection.State; st != cloud.StateDisconnected {
				t.Errorf("connection = %s, want disconnected", st)
			}
		})
	}
}

// addAgent creates one more agent under key.
func addAgent(t *testing.T, sim *cloudsim.Server, key, name string) {
	t.Helper()
	c, err := cloud.NewClient(cloud.ClientOptions{BaseURL: sim.URL(), APIKey: key, RootCAs: sim.CertPool(), AllowLoopback: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateAgent(context.Background(), cloud.CreateAgentRequest{AgentName: name}); err != nil {
		t.Fatalf("create agent: %v", err)
	}
}
