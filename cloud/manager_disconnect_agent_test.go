package cloud

import (
	"context"
	"testing"
)

// DisconnectAgent leaves a different active agent alone and disconnects the
// named one (with its final snapshot).
func TestDisconnectAgentOnlyTheNamedOne(t *testing.T) {
	h := newMgrHarness(t, ManagerConfig{})
	h.connect(t, "agent-a")
	if h.m.DisconnectAgent(context.Background(), "agent-b") {
		t.Fatal("disconnected although agent-b is not active")
	}
	if st := h.m.State(); st.State != StateConnected || st.AgentID != "agent-a" {
		t.Fatalf("state after a no-op DisconnectAgent = %+v", st)
	}
	if !h.m.DisconnectAgent(context.Background(), "agent-a") {
		t.Fatal("did not disconnect the active agent")
	}
	if st := h.m.State(); st.State != StateDisconnected {
		t.Fatalf("state = %+v", st)
	}
}
