// Package tray is the system-tray face of the app: a pure model that
// turns an app.Snapshot into a menu and an icon, and a thin adapter (the only
// file importing fyne.io/systray) that shows them and turns clicks into
// Backend calls.
//
// The model is pure so every state can be table-tested without a desktop;
// the adapter keeps one fixed menu and mutates it, because Linux dbusmenu
// hosts render rebuilt menus and submenus badly (fyne-io/systray#12).
package tray

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/cloud"
)

// AppTitle is the tray item's title (SNI Title; also its Id on Linux, which
// hosts use to remember per-app settings, so it must not change with state).
const AppTitle = "Milady Cloud"

// simSuffix marks every status text while the app talks to the simulator, so
// nobody mistakes simulated credits or agents for real ones.
const simSuffix = " [SIMULATOR]"

// maxReasonRunes bounds "Error: <reason>" so an upstream message cannot make
// the menu as wide as the screen; the full text is in the dashboard.
const maxReasonRunes = 60

// LoginAgainTitle is the action item when the cloud refused the saved key
// (revoked or expired).
const LoginAgainTitle = "Log in again…"

// ActionKind says what the third menu item does when clicked.
type ActionKind int

// The kinds of the action item.
const (
	ActionNone       ActionKind = iota // item hidden
	ActionConnect                      // connect to the last agent (or pick one)
	ActionDisconnect                   // disconnect the active agent
	ActionLogin                        // start the browser login
)

// String names the kind for logs and test failures.
func (k ActionKind) String() string {
	switch k {
	case ActionConnect:
		return "connect"
	case ActionDisconnect:
		return "disconnect"
	case ActionLogin:
		return "login"
	default:
		return "none"
	}
}

// MenuItem is the rendered state of one fixed menu entry.
type MenuItem struct {
	Title   string
	Visible bool
	Enabled bool
	Checked bool
}

// Menu is the whole tray menu for one snapshot, in display order. It is a
// comparable value so the adapter can skip updates when nothing changed.
type Menu struct {
	Status        MenuItem // disabled, says the connection state in words
	Balance       MenuItem // click opens the top-up page
	Action        MenuItem // Connect to X / Disconnect from X / Log in…
	ActionKind    ActionKind
	OpenDashboard MenuItem
	TopUp         MenuItem
	StartAtLogin  MenuItem // checkbox; the autostart file is the truth
	Logout        MenuItem
	Quit          MenuItem
	Title         string // SNI title, constant apart from the simulator mark
	Tooltip       string // repeats the status line
}

// MenuFor renders the menu for a snapshot. startAtLogin is the checkbox's
// state, which the caller takes from the snapshot's settings (the Service
// reads the autostart file, the truth, for every snapshot).
func MenuFor(s app.Snapshot, startAtLogin bool) Menu {
	status := StatusText(s)
	m := Menu{
		Status:        MenuItem{Title: status, Visible: true},
		OpenDashboard: MenuItem{Title: "Open Dashboard", Visible: true, Enabled: true},
		TopUp:         MenuItem{Title: "Top up credits…", Visible: s.LoggedIn, Enabled: s.LoggedIn},
		StartAtLogin:  MenuItem{Title: "Start at login", Visible: true, Enabled: true, Checked: startAtLogin},
		Logout:        MenuItem{Title: "Log out", Visible: s.LoggedIn, Enabled: s.LoggedIn},
		Quit:          MenuItem{Title: "Quit", Visible: true, Enabled: true},
		Title:         AppTitle,
		Tooltip:       status,
	}
	if s.Sim {
		m.Title += simSuffix
	}
	if text, ok := balanceText(s); ok {
		m.Balance = MenuItem{Title: text, Visible: true, Enabled: true}
	}
	m.ActionKind, m.Action = actionFor(s)
	return m
}

// StatusText is the status line (and tooltip) for a snapshot, with the
// simulator mark when it applies.
func StatusText(s app.Snapshot) string {
	text := statusText(s)
	if s.Sim {
		text += simSuffix
	}
	return text
}

func statusText(s app.Snapshot) string {
	if !s.LoggedIn {
		return "Not logged in"
	}
	if s.KeyRejected {
		return "Key rejected — log in again"
	}
	c := s.Connection
	switch c.State {
	case cloud.StateConnected:
		return "Connected — " + activeAgent(s)
	case cloud.StateConnecting:
		return "Connecting to " + activeAgent(s) + "…"
	case cloud.StateReconnecting:
		maxAttempts := c.MaxReconnect
		if maxAttempts <= 0 {
			maxAttempts = cloud.DefaultManagerConfig().MaxReconnectAttempts
		}
		return fmt.Sprintf("Reconnecting (attempt %d/%d)…", c.ReconnectAttempt, maxAttempts)
	case cloud.StateError:
		reason := strings.TrimSpace(c.LastError)
		if reason == "" {
			reason = "connection failed"
		}
		return "Error: " + truncate(reason, maxReasonRunes)
	default: // disconnected, or a state this build does not know
		return "Disconnected"
	}
}

// balanceText is the balance line; ok is false when it must be hidden
// (logged out, or the balance is not known yet).
func balanceText(s app.Snapshot) (text string, ok bool) {
	if !s.LoggedIn || s.Credits.Balance == nil {
		return "", false
	}
	text = "Balance: " + formatDollars(*s.Credits.Balance)
	switch creditLevel(s.Credits) {
	case levelCritical:
		text += " — critical"
	case levelLow:
		text += " — low"
	}
	return text, true
}

// formatDollars renders an amount as $12.50 / -$0.30, rounding to cents.
func formatDollars(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "$?"
	}
	cents := math.Round(v * 100)
	if cents < 0 {
		return fmt.Sprintf("-$%.2f", -cents/100)
	}
	return fmt.Sprintf("$%.2f", cents/100)
}

type level int

const (
	levelOK level = iota
	levelLow
	levelCritical
)

// creditLevel reads the level the Service computed (thresholds live in the
// domain, not in the tray); the booleans and the string are both accepted.
func creditLevel(c app.CreditsView) level {
	switch {
	case c.Critical || c.Level == "critical":
		return levelCritical
	case c.Low || c.Level == "low":
		return levelLow
	default:
		return levelOK
	}
}

func actionFor(s app.Snapshot) (ActionKind, MenuItem) {
	if !s.LoggedIn {
		return ActionLogin, MenuItem{Title: "Log in to Eliza Cloud…", Visible: true, Enabled: true}
	}
	if s.KeyRejected {
		// The saved key was refused: connecting cannot work, a new login
		// can. It replaces Connect/Disconnect.
		return ActionLogin, MenuItem{Title: LoginAgainTitle, Visible: true, Enabled: true}
	}
	switch s.Connection.State {
	case cloud.StateConnected, cloud.StateConnecting, cloud.StateReconnecting:
		return ActionDisconnect, MenuItem{Title: "Disconnect from " + activeAgent(s), Visible: true, Enabled: true}
	case cloud.StateDisconnected, cloud.StateError, "":
		if name := lastAgent(s); name != "" {
			return ActionConnect, MenuItem{Title: "Connect to " + name, Visible: true, Enabled: true}
		}
		// No agent yet: the adapter connects the only agent or lets the
		// user pick one in the dashboard, hence the ellipsis.
		return ActionConnect, MenuItem{Title: "Connect…", Visible: true, Enabled: true}
	default:
		return ActionNone, MenuItem{}
	}
}

// activeAgent names the agent of the current connection, falling back to the
// last one used, so the line never reads "Connected — ".
func activeAgent(s app.Snapshot) string {
	for _, name := range []string{s.Connection.AgentName, s.Connection.AgentID, s.LastAgentName, s.LastAgentID} {
		if name = strings.TrimSpace(name); name != "" {
			return truncate(name, maxReasonRunes)
		}
	}
	return "agent"
}

// lastAgent names the agent "Connect to" would connect, or "" when none.
func lastAgent(s app.Snapshot) string {
	if strings.TrimSpace(s.LastAgentID) == "" {
		return ""
	}
	if name := strings.TrimSpace(s.LastAgentName); name != "" {
		return truncate(name, maxReasonRunes)
	}
	return truncate(strings.TrimSpace(s.LastAgentID), maxReasonRunes)
}

// truncate shortens s to at most n runes, ending with "…" when cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}
