package main

import (
	"reflect"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/app/api"
	"github.com/milady-ai/milady-cloud/app/desktop"
	"github.com/milady-ai/milady-cloud/cloud"
)

// This file lists what the generated TypeScript describes. A Go type used
// by one of these is described too, so only the roots are named here.

// dtos are the JSON shapes the dashboard reads or sends, beyond those the
// facade's methods and the events already reach.
var dtos = []any{
	app.ChatInput{},
	app.LoginStatus{},
	// The REST envelopes and the chat stream's events.
	api.OKResponse{},
	api.HealthResponse{},
	api.LogoutResponse{},
	api.AgentsResponse{},
	api.AgentResponse{},
	api.AgentActionResponse{},
	api.BackupsResponse{},
	api.BackupResponse{},
	api.RestoreResponse{},
	api.CreditHistoryResponse{},
	api.ChatHistoryResponse{},
	api.SettingsResponse{},
	api.WindowShowResponse{},
	api.ErrorResponse{},
	api.ChatChunkEvent{},
	api.ChatDoneEvent{},
	api.ChatErrorEvent{},
	// The window's chat chunks (runtime event desktop.EventChatChunk).
	desktop.ChatChunk{},
}

// events maps each event of the stream (SSE event name and Wails runtime
// event name alike) to the Go type of its data, in the order the TypeScript
// lists them.
var events = []struct {
	name string
	data any
}{
	{app.EventSnapshot, app.Snapshot{}},
	{app.EventState, app.Snapshot{}},
	{app.EventLogin, app.LoginEvent{}},
	{app.EventBackup, app.BackupEvent{}},
	{app.EventNotice, app.Notice{}},
	{app.EventCredits, app.CreditsView{}},
	{app.EventHeartbeat, app.HeartbeatEvent{}},
	{app.EventSettings, app.SettingsView{}},
}

// facade is the struct Wails binds as window.go.desktop.App.
var facade = reflect.TypeFor[*desktop.App]()

// renames gives a Go type another TypeScript name where the Go name alone
// would say too little in the frontend.
var renames = map[reflect.Type]string{
	reflect.TypeFor[cloud.State](): "ConnectionState",
}

// enums are named string types written as unions of their values.
var enums = map[reflect.Type][]string{
	reflect.TypeFor[cloud.ConnState](): {
		string(cloud.StateDisconnected),
		string(cloud.StateConnecting),
		string(cloud.StateConnected),
		string(cloud.StateReconnecting),
		string(cloud.StateError),
	},
}
