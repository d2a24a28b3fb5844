package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/milady-ai/milady-cloud/app"
)

// TestRoomIDBounded: a room id is at most 128 characters of
// [A-Za-z0-9._:-] on every route that takes one, checked before anything
// is stored or sent; the Service itself refuses it, so every face does.
func TestRoomIDBounded(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	msg := app.ErrInvalidRoomID.Error()
	bad := []string{strings.Repeat("r", 129), strings.Repeat("r", 900<<10), "room one", "room/1", "rööm", "a\nb", `a"b`}
	for _, room := range bad {
		for _, path := range []string{"/api/chat", "/api/chat/stream"} {
			body := `{"text":"hi","roomId":` + quote(room) + `}`
			if m := h.expect("POST", path, body, 400); m["error"] != msg {
				t.Errorf("%s roomId %.20q: %v", path, room, m)
			}
		}
		if m := h.expect("GET", "/api/chat/history?roomId="+url.QueryEscape(room), "", 400); m["error"] != msg {
			t.Errorf("history roomId %.20q: %v", room, m)
		}
		if _, err := h.svc.Chat().Send(context.Background(), app.ChatInput{Text: "hi", RoomID: room}); !errors.Is(err, app.ErrInvalidRoomID) {
			t.Errorf("Service.Chat roomId %.20q: %v", room, err)
		}
	}
	// The longest valid id with every allowed character passes validation
	// (and then meets "not connected", since no agent is connected).
	good := strings.Repeat("aZ09._:-", 16)
	if len(good) != 128 {
		t.Fatal(len(good))
	}
	h.expect("POST", "/api/chat", `{"text":"hi","roomId":"`+good+`"}`, 409)
	h.expect("GET", "/api/chat/history?roomId="+good, "", 200)
	h.expect("GET", "/api/chat/history", "", 200)
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
