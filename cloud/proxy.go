package cloud

import "context"

// The default routing of a chat message, as Milady's bridge client sends it.
const (
	DefaultRoom    = "web-chat"
	DefaultChannel = "DM"
)

// Proxy routes chat to the connected agent. It carries the agent's
// id and name and delegates to the session's API; errors pass through
// unchanged so the REST layer can map them (and show the cloud's message).
// A Proxy stays usable after a disconnect, but callers should fetch it from
// Manager.Proxy for each request so they see the current connection.
type Proxy struct {
	api       API
	agentID   string
	agentName string
}

func newProxy(api API, agentID, agentName string) *Proxy {
	return &Proxy{api: api, agentID: agentID, agentName: agentName}
}

// AgentID is the id of the agent the proxy talks to.
func (p *Proxy) AgentID() string { return p.agentID }

// AgentName is the agent's name as the cloud reported it at connect time.
func (p *Proxy) AgentName() string { return p.agentName }

// Send sends text and returns the agent's reply. An empty roomID or
// channelType takes the default ("web-chat", "DM").
func (p *Proxy) Send(ctx context.Context, text, roomID, channelType string) (string, error) {
	return p.api.SendMessage(ctx, p.agentID, proxyMessage(text, roomID, channelType))
}

// Stream sends text and calls onChunk with each chunk of the reply as it
// arrives; it returns when the stream ends, with the stream's error (an SSE
// error event included) or onChunk's.
func (p *Proxy) Stream(ctx context.Context, text, roomID, channelType string, onChunk func(string) error) error {
	return p.api.Stream(ctx, p.agentID, proxyMessage(text, roomID, channelType), onChunk)
}

// Status asks the agent for its status (status.get over the bridge).
func (p *Proxy) Status(ctx context.Context) (*AgentStatus, error) {
	return p.api.AgentStatus(ctx, p.agentID)
}

// Alive sends one heartbeat; nil means the agent answered.
func (p *Proxy) Alive(ctx context.Context) error {
	return p.api.Heartbeat(ctx, p.agentID)
}

func proxyMessage(text, roomID, channelType string) Message {
	if roomID == "" {
		roomID = DefaultRoom
	}
	if channelType == "" {
		channelType = DefaultChannel
	}
	return Message{Text: text, RoomID: roomID, ChannelType: channelType}
}
