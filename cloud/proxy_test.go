package cloud

import (
	"context"
	"errors"
	"slices"
	"testing"
)

func TestProxyDelegatesWithDefaults(t *testing.T) {
	h, p := connectedProxy(t, ManagerConfig{ChatViaBridge: true})
	ctx := context.Background()

	reply, err := p.Send(ctx, "hello", "", "")
	if err != nil || reply != "echo: hello" {
		t.Fatalf("Send = %q, %v", reply, err)
	}
	if got, want := h.api.message(), (Message{Text: "hello", RoomID: "web-chat", ChannelType: "DM"}); got != want {
		t.Fatalf("message = %+v, want %+v", got, want)
	}
	if _, err := p.Send(ctx, "hi", "room-7", "GROUP"); err != nil {
		t.Fatal(err)
	}
	if got := h.api.message(); got.RoomID != "room-7" || got.ChannelType != "GROUP" {
		t.Fatalf("explicit room/channel not kept: %+v", got)
	}
	if ids := h.api.callsOf("send"); !slices.Equal(ids, []string{"agent-1", "agent-1"}) {
		t.Fatalf("send calls = %v", ids)
	}

	h.api.mu.Lock()
	h.api.chunks = []string{"Hel", "lo", "!"}
	h.api.mu.Unlock()
	var got []string
	if err := p.Stream(ctx, "stream me", "", "", func(c string) error { got = append(got, c); return nil }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"Hel", "lo", "!"}) {
		t.Fatalf("chunks = %v", got)
	}
	if m := h.api.message(); m.Text != "stream me" || m.RoomID != "web-chat" || m.ChannelType != "DM" {
		t.Fatalf("stream message = %+v", m)
	}
	stop := errors.New("client went away")
	if err := p.Stream(ctx, "x", "", "", func(string) error { return stop }); !errors.Is(err, stop) {
		t.Fatalf("Stream with failing onChunk = %v, want the callback's error", err)
	}

	st, err := p.Status(ctx)
	if err != nil || st.Status != "running" || st.MemoriesCount != 3 {
		t.Fatalf("Status = %+v, %v", st, err)
	}
	if err := p.Alive(ctx); err != nil {
		t.Fatalf("Alive = %v", err)
	}
}

func TestProxyErrorsPassThrough(t *testing.T) {
	h, p := connectedProxy(t, ManagerConfig{})
	ctx := context.Background()
	rpc := &RPCError{Code: -32000, Message: "Bridge returned HTTP 503"}
	h.api.fail("send", rpc)
	h.api.fail("stream", rpc)
	h.api.fail("status", rpc)
	h.api.fail("heartbeat", rpc)
	if _, err := p.Send(ctx, "x", "", ""); err != rpc { //nolint:errorlint // pass-through means the very same value
		t.Errorf("Send error = %v, want the API's error unchanged", err)
	}
	if err := p.Stream(ctx, "x", "", "", func(string) error { return nil }); err != rpc { //nolint:errorlint
		t.Errorf("Stream error = %v", err)
	}
	if _, err := p.Status(ctx); err != rpc { //nolint:errorlint
		t.Errorf("Status error = %v", err)
	}
	if err := p.Alive(ctx); err != rpc { //nolint:errorlint
		t.Errorf("Alive error = %v", err)
	}
}

// connectedProxy is a manager with cfg connected to agent-1 over the fake
// API, and its chat proxy.
func connectedProxy(t *testing.T, cfg ManagerConfig) (*mgrHarness, *Proxy) {
	t.Helper()
	h := newMgrHarness(t, cfg)
	h.connect(t, "agent-1")
	p, err := h.m.Proxy()
	if err != nil {
		t.Fatal(err)
	}
	return h, p
}
