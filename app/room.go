package app

import "errors"

// MaxRoomIDLen bounds a chat room id. Room ids are stored with every chat
// message and sent to the agent, so an unbounded one lets any client grow
// the database without limit.
const MaxRoomIDLen = 128

// ErrInvalidRoomID is a room id that is too long or has characters other
// than letters, digits, '.', '_', ':' and '-'. Every face answers it as bad
// input (REST: 400).
var ErrInvalidRoomID = errors.New("roomId must be at most 128 characters of letters, digits, '.', '_', ':' and '-'")

// checkRoomID returns ErrInvalidRoomID unless id is 1 to MaxRoomIDLen
// characters of [A-Za-z0-9._:-].
func checkRoomID(id string) error {
	if id == "" || len(id) > MaxRoomIDLen {
		return ErrInvalidRoomID
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-') {
			return ErrInvalidRoomID
		}
	}
	return nil
}
