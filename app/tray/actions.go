package tray

import (
	"context"
	"log/slog"

	"github.com/milady-ai/milady-cloud/app"
)

// actions turns clicks into Backend calls. Every method runs on its own
// goroutine (never on the event loop), logs failures and returns: a tray
// click must never crash the app, and the Service reports outcomes through
// the snapshot anyway.
type actions struct {
	b    app.Backend
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
		a.connect(ctx, s)
	case ActionDisconnect:
		a.disconnect(ctx, s)
	case ActionLogin:
		a.login(ctx)
	}
}

// connect reconnects the last agent. With none remembered it connects the
// account's only agent; with zero or several it opens the dashboard so the
// user chooses (or creates) one rather than the tray guessing.
func (a *actions) connect(ctx context.Context, s app.Snapshot) {
	id := s.LastAgentID
	if id == "" {
		agents, err := a.b.ListAgents(ctx)
		if err != nil {
			a.log.Warn("tray: list agents to connect", "err", err)
			a.openDashboard()
			return
		}
		if len(agents) != 1 {
			a.openDashboard()
			return
		}
		id = agents[0].ID
	}
	if _, err := a.b.ConnectAgentAsync(ctx, id); err != nil {
		a.log.Warn("tray: connect agent", "agentId", id, "err", err)
	}
}

// disconnect ends the active connection (or the last agent's, when the
// snapshot carries no active id, e.g. while reconnecting from a fresh start).
func (a *actions) disconnect(ctx context.Context, s app.Snapshot) {
	id := s.Connection.AgentID
	if id == "" {
		id = s.LastAgentID
	}
	if err := a.b.DisconnectAgent(ctx, id); err != nil {
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

// setStartAtLogin writes (on) or removes the autostart file; the caller
// re-renders from the file afterwards. The caller passes the opposite of
// the checkbox the user clicked, not of the file: if the file changed
// since the menu was drawn, flipping the file would do the opposite of
// what the click meant (uncheck a checked box and get it enabled).
func (a *actions) setStartAtLogin(on bool) {
	as := a.opts.Autostart
	if as == nil {
		return
	}
	if !on {
		if err := as.Disable(); err != nil {
			a.log.Warn("tray: disable start at login", "err", err)
		}
		return
	}
	if err := as.Enable(); err != nil {
		a.log.Warn("tray: enable start at login", "err", err)
	}
}

func (a *actions) logout(ctx context.Context) {
	if err := a.b.Logout(ctx); err != nil {
		a.log.Warn("tray: log out", "err", err)
	}
}

func (a *actions) quit() {
	a.b.Quit()
	if a.opts.OnQuit != nil {
		a.opts.OnQuit()
	}
}
