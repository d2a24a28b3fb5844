package cloud

import (
	"context"
	"fmt"
	"strings"
)

// The default routing of a chat message, as Milady's bridge client sends it.
const (
	DefaultRoom    = "web-chat"
	DefaultChannel = "DM"
)

// maxReplyBytes bounds a reply Send assembles from stream chunks, like
// every other answer the client reads.
const maxReplyBytes = maxResponseBytes

// Proxy routes chat to the connected agent. It carries the agent's
// id and name and delegates to the session's API; errors pass through
// unchanged so the REST layer can map them (and show the cloud's message).
// A Proxy stays usable after a disconnect, but callers should fetch it from
// Manager.Proxy for each request so they see the current connection.
//
// Every call also informs the manager: chat marks activity (the next
// scheduled backup is worth taking), a changed status.get answer counts as
// a status change, and a rejected key stops the manager.
type Proxy struct {
	api       API
	agentID   string
	agentName string
	viaBridge bool
	hooks     proxyHooks
}

// proxyHooks connect a Proxy to its session; nil hooks do nothing.
type proxyHooks struct {
	activity func()       // chat went through
	status   func(string) // status.get answered this status
	result   func(error)  // a call ended with this error (nil too)
}

func newProxy(api API, agentID, agentName string) *Proxy {
	return &Proxy{api: api, agentID: agentID, agentName: agentName}
}

// newSessionProxy is the proxy of s, wired to the manager.
func (m *Manager) newSessionProxy(s *connSession, name string) *Proxy {
	p := newProxy(s.api, s.agentID, name)
	p.viaBridge = m.cfg.ChatViaBridge
	p.hooks = proxyHooks{
		activity: s.touch,
		status: func(st string) {
			if old := s.lastStatus.Swap(&st); old != nil && *old != st {
				s.touch()
			}
		},
		result: func(err error) { m.observe(s, err) },
	}
	return p
}

// AgentID is the id of the agent the proxy talks to.
func (p *Proxy) AgentID() string { return p.agentID }

// AgentName is the agent's name as the cloud reported it at connect time.
func (p *Proxy) AgentName() string { return p.agentName }

// Send sends text and returns the agent's whole reply. An empty roomID or
// channelType takes the default ("web-chat", "DM"). It goes through the
// stream route and joins the chunks: the cloud cuts message.send on the
// bridge at 30 s, which a thinking agent easily needs, while the stream
// route allows 120 s. A reply cut at either limit is an AgentTooSlowError.
func (p *Proxy) Send(ctx context.Context, text, roomID, channelType string) (string, error) {
	p.touch()
	defer p.touch() // the reply changed the agent's memory too
	msg := proxyMessage(text, roomID, channelType)
	if p.viaBridge {
		reply, err := p.api.SendMessage(ctx, p.agentID, msg)
		p.result(err)
		return reply, err
	}
	var b strings.Builder
	err := p.api.Stream(ctx, p.agentID, msg, func(chunk string) error {
		if b.Len()+len(chunk) > maxReplyBytes {
			return fmt.Errorf("send message to %s: %w: the reply is larger than %d bytes", p.agentID, ErrMalformed, maxReplyBytes)
		}
		b.WriteString(chunk)
		return nil
	})
	p.result(err)
	if err != nil {
		return "", err
	}
	if b.Len() == 0 {
		return noResponse, nil
	}
	return b.String(), nil
}

// Stream sends text and calls onChunk with each chunk of the reply as it
// arrives; it returns when the stream ends, with the stream's error (an SSE
// error event included) or onChunk's.
func (p *Proxy) Stream(ctx context.Context, text, roomID, channelType string, onChunk func(string) error) error {
	p.touch()
	defer p.touch()
	err := p.api.Stream(ctx, p.agentID, proxyMessage(text, roomID, channelType), onChunk)
	p.result(err)
	return err
}

// Status asks the agent for its status (status.get over the bridge).
func (p *Proxy) Status(ctx context.Context) (*AgentStatus, error) {
	st, err := p.api.AgentStatus(ctx, p.agentID)
	p.result(err)
	if err == nil && st != nil && p.hooks.status != nil {
		p.hooks.status(st.Status)
	}
	return st, err
}

// Alive sends one heartbeat; nil means the agent answered.
func (p *Proxy) Alive(ctx context.Context) error {
	err := p.api.Heartbeat(ctx, p.agentID)
	p.result(err)
	return err
}

func (p *Proxy) touch() {
	if p.hooks.activity != nil {
		p.hooks.activity()
	}
}

func (p *Proxy) result(err error) {
	if err != nil && p.hooks.result != nil {
		p.hooks.result(err)
	}
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
