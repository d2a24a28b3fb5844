package tray

import (
	"context"
	"errors"
	"log/slog"

	"github.com/milady-ai/milady-cloud/app"
)

// actions turns clicks into Backend calls. Every method runs on its own
// goroutine (never on the event loop), logs failures and returns: a tray
// click must never crash the app, and the Service reports outcomes through
// the snapshot anyway.
type actions struct {
	b    Backend
	ag   Agents
	opts Options
	log  *slog.Logger
}

// openDashboard shows the dashboard through the shell's hook, or the window.
func (a *actions) openDashboard() {
	if a.opts.OpenDashboard != nil {
		a.opts.OpenDashboard()
		return
	}
	if !a.b.ShowWindow() {
		a.log.Info("tray: no window to show for Open Dashboard")
	}
}

// primary runs the third item for the kind the menu showed when clicked, so
// a click always does what its label said even if the state moved on.
func (a *actions) primary(ctx context.Context, kind ActionKind, s app.Snapshot) {
	switch kind {
	case ActionConnect:
		a.connect(ctx)
	case ActionDisconnect:
		a.disconnect(ctx, s)
	case ActionLogin:
		a.login(ctx)
	}
}

// connect asks the Service to reconnect the last (or only) agent; when it
// cannot tell which one the user means it says so and the dashboard opens,
// so the user chooses (or creates) one rather than the tray guessing.
func (a *actions) connect(ctx context.Context) {
	_, err := a.ag.ConnectLast(ctx)
	switch {
	case errors.Is(err, app.ErrChooseAgent):
		a.log.Info("tray: no agent to connect without asking; opening the dashboard", "reason", err)
		a.openDashboard()
	case err != nil:
		a.log.Warn("tray: connect agent", "err", err)
	}
}

// disconnect ends the active connection (or the last agent's, when the
// snapshot carries no active id, e.g. while reconnecting from a fresh start).
func (a *actions) disconnect(ctx context.Context, s app.Snapshot) {
	id := s.Connection.AgentID
	if id == "" {
		id = s.LastAgentID
	}
	if err := a.ag.Disconnect(ctx, id); err != nil {
		a.log.Warn("tray: disconnect agent", "agentId", id, "err", err)
	}
}

// login starts (or re-opens) the browser login and shows the dashboard,
// whose login view says "waiting for browser…" or the error.
func (a *actions) login(ctx context.Context) {
	if _, err := a.b.BeginBrowserLogin(ctx); err != nil {
		a.log.Warn("tray: begin browser login", "err", err)
	}
	a.openDashboard()
}

func (a *actions) topUp() {
	if err := a.b.OpenTopUp(); err != nil {
		a.log.Warn("tray: open top-up page", "err", err)
	}
}

// setStartAtLogin asks the Service to write (on) or remove the autostart
// file; the Service publishes the new setting, so the dashboard follows.
// The caller passes the opposite of the checkbox the user clicked, not of
// the file: if the file changed since the menu was drawn, flipping the file
// would do the opposite of what the click meant (uncheck a checked box and
// get it enabled).
func (a *actions) setStartAtLogin(ctx context.Context, on bool) {
	if err := a.b.SetStartAtLogin(ctx, on); err != nil {
		a.log.Warn("tray: change start at login", "on", on, "err", err)
	}
}

func (a *actions) logout(ctx context.Context) {
	if _, err := a.b.Logout(ctx); err != nil {
		a.log.Warn("tray: log out", "err", err)
	}
}

func (a *actions) quit() {
	a.b.Quit()
	if a.opts.OnQuit != nil {
		a.opts.OnQuit()
	}
}
