package app

import (
	"strings"

	"github.com/google/uuid"

	"github.com/milady-ai/milady-cloud/cloud"
)

// The input rules every face shares. They live here, once, and return the
// typed *Error (a 400 over REST) with the message a person reads; a face
// may call them early (the REST API checks a body before anything changes
// state) but never words or re-implements them.

// MaxChatText bounds one chat message (32 KiB).
const MaxChatText = 32 << 10

// DefaultRoom is Milady's web chat room, used when a message or a history
// request names none.
const DefaultRoom = cloud.DefaultRoom

// maxAgentName bounds an agent's name, in characters.
const maxAgentName = 100

var channelTypes = map[string]bool{"DM": true, "GROUP": true, "VOICE_DM": true, "VOICE_GROUP": true, "API": true}

// ValidAgentID checks that id is an agent id: the canonical 8-4-4-4-12 hex
// form of a UUID, any case, as Milady's UUID_RE accepts (no braces, no
// urn: prefix, no bare 32 hex digits).
func ValidAgentID(id string) error {
	if _, err := uuid.Parse(id); err != nil || len(id) != 36 {
		return InvalidInput("Invalid agent ID or cloud not connected")
	}
	return nil
}

// ValidAgentName checks a new agent's name (surrounding spaces do not count).
func ValidAgentName(name string) error {
	name = strings.TrimSpace(name)
	if name == "" {
		return InvalidInput("agentName is required")
	}
	if len([]rune(name)) > maxAgentName {
		return InvalidInput("agentName must be at most 100 characters")
	}
	return nil
}

// ValidChatText checks one chat message's text.
func ValidChatText(text string) error {
	if strings.TrimSpace(text) == "" {
		return InvalidInput("text is required")
	}
	if len(text) > MaxChatText {
		return InvalidInput("text is too long (at most 32 KiB)")
	}
	return nil
}

// ValidChannelType checks a channel type the caller gave (an omitted one
// means DM and is not checked).
func ValidChannelType(ct string) error {
	if !channelTypes[ct] {
		return InvalidInput("channelType must be one of DM, GROUP, VOICE_DM, VOICE_GROUP, API")
	}
	return nil
}

// ValidSessionID checks that a login status poll names its session.
func ValidSessionID(id string) error {
	if id == "" {
		return InvalidInput("sessionId query parameter is required")
	}
	return nil
}
