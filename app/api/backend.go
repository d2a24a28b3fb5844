package api

import (
	"context"

	"github.com/milady-ai/milady-cloud/app"
)

// Backend, Agents, Chat and Billing are what the REST API asks of the app: the
// Milady-compatible routes and this app's additions map one to one onto
// these calls. *app.Service implements Backend, and its parts
// (Service.Agents, Service.Chat, Service.Billing) the others; the handlers only decode,
// call and encode.
//
// Backend is the app itself: state, events, login, credits, settings.
type Backend interface {
	// DashboardCalls are the state, its stream, log-out and the settings,
	// which the window's facade offers too.
	app.DashboardCalls

	Version() string
	// StartLogin starts a CLI session and polls it in the background; the
	// caller opens browserUrl itself.
	StartLogin(ctx context.Context) (app.LoginStart, error)
	// LoginStatus polls the session upstream.
	LoginStatus(ctx context.Context, sessionID string) (app.LoginStatus, error)
	// ShowWindow shows and focuses the window; false in headless mode.
	ShowWindow() bool
}

// Agents, Chat and Billing are the agent, chat and credit routes' parts of
// the app. The window consumes the same parts, so their method sets are
// declared once, in package app.
type (
	Agents  = app.AgentsPart
	Chat    = app.ChatPart
	Billing = app.BillingPart
)

var _ Backend = (*app.Service)(nil)
