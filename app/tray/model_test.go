package tray

import (
	"fmt"
	"math"
	"testing"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/cloud"
)

func ptr(v float64) *float64 { return &v }

// connCase is one connection state with the texts it must produce when
// logged in and the last agent is "Remilia" (id agent-1).
type connCase struct {
	name       string
	conn       cloud.State
	status     string
	action     string
	actionKind ActionKind
	glyph      Glyph
}

var connCases = []connCase{
	{"disconnected", cloud.State{State: cloud.StateDisconnected},
		"Disconnected", "Connect to Remilia", ActionConnect, GlyphDisconnected},
	{"unknown state", cloud.State{},
		"Disconnected", "Connect to Remilia", ActionConnect, GlyphDisconnected},
	{"connecting", cloud.State{State: cloud.StateConnecting, AgentID: "agent-2", AgentName: "Milady"},
		"Connecting to Milady…", "Disconnect from Milady", ActionDisconnect, GlyphConnecting},
	{"connected", cloud.State{State: cloud.StateConnected, AgentID: "agent-1", AgentName: "Remilia"},
		"Connected — Remilia", "Disconnect from Remilia", ActionDisconnect, GlyphConnected},
	{"connected without name", cloud.State{State: cloud.StateConnected, AgentID: "agent-9"},
		"Connected — agent-9", "Disconnect from agent-9", ActionDisconnect, GlyphConnected},
	{"reconnecting", cloud.State{State: cloud.StateReconnecting, AgentID: "agent-1", AgentName: "Remilia", ReconnectAttempt: 3, MaxReconnect: 10},
		"Reconnecting (attempt 3/10)…", "Disconnect from Remilia", ActionDisconnect, GlyphConnecting},
	{"reconnecting default max", cloud.State{State: cloud.StateReconnecting, AgentID: "agent-1", ReconnectAttempt: 1},
		"Reconnecting (attempt 1/10)…", "Disconnect from agent-1", ActionDisconnect, GlyphConnecting},
	{"reconnecting other max", cloud.State{State: cloud.StateReconnecting, ReconnectAttempt: 7, MaxReconnect: 7},
		"Reconnecting (attempt 7/7)…", "Disconnect from Remilia", ActionDisconnect, GlyphConnecting},
	{"error", cloud.State{State: cloud.StateError, AgentID: "agent-1", LastError: "agent stopped"},
		"Error: agent stopped", "Connect to Remilia", ActionConnect, GlyphError},
	{"error without reason", cloud.State{State: cloud.StateError},
		"Error: connection failed", "Connect to Remilia", ActionConnect, GlyphError},
}

// creditCase is one balance level with its line and badge when logged in.
type creditCase struct {
	name    string
	credits app.CreditsView
	line    string // "" = hidden
	badge   Badge
}

var creditCases = []creditCase{
	{"unknown", app.CreditsView{}, "", BadgeNone},
	{"unknown but flagged", app.CreditsView{Critical: true, Level: "critical"}, "", BadgeNone},
	{"ok", app.CreditsView{Balance: ptr(12.5), Level: "ok"}, "Balance: $12.50", BadgeNone},
	{"low", app.CreditsView{Balance: ptr(1.5), Level: "low", Low: true}, "Balance: $1.50 — low", BadgeLow},
	{"low by flag only", app.CreditsView{Balance: ptr(1.5), Low: true}, "Balance: $1.50 — low", BadgeLow},
	{"critical", app.CreditsView{Balance: ptr(0.3), Level: "critical", Low: true, Critical: true}, "Balance: $0.30 — critical", BadgeCritical},
	{"critical by level only", app.CreditsView{Balance: ptr(0.3), Level: "critical"}, "Balance: $0.30 — critical", BadgeCritical},
	{"negative", app.CreditsView{Balance: ptr(-0.304), Level: "critical"}, "Balance: -$0.30 — critical", BadgeCritical},
	{"zero", app.CreditsView{Balance: ptr(0), Critical: true}, "Balance: $0.00 — critical", BadgeCritical},
}

// TestMenuForEveryCombination crosses every connection state with every
// balance level, logged in and out, with and without the simulator.
func TestMenuForEveryCombination(t *testing.T) {
	for _, cc := range connCases {
		for _, cr := range creditCases {
			for _, loggedIn := range []bool{true, false} {
				for _, sim := range []bool{false, true} {
					for _, autostart := range []bool{false, true} {
						name := fmt.Sprintf("%s/%s/loggedIn=%v/sim=%v/autostart=%v", cc.name, cr.name, loggedIn, sim, autostart)
						t.Run(name, func(t *testing.T) {
							s := app.Snapshot{
								Sim: sim, LoggedIn: loggedIn, Connection: cc.conn, Credits: cr.credits,
								LastAgentID: "agent-1", LastAgentName: "Remilia",
							}
							got := MenuFor(s, autostart)
							want := expectedMenu(cc, cr, loggedIn, sim, autostart)
							if got != want {
								t.Errorf("MenuFor:\n got %+v\nwant %+v", got, want)
							}
							wantIcon := IconKey{Base: GlyphDisconnected}
							if loggedIn {
								wantIcon = IconKey{Base: cc.glyph, Badge: cr.badge}
							}
							if k := IconFor(s); k != wantIcon {
								t.Errorf("IconFor = %v, want %v", k, wantIcon)
							}
						})
					}
				}
			}
		}
	}
}

// expectedMenu spells out the menu rules (MenuFor) for one combination.
func expectedMenu(cc connCase, cr creditCase, loggedIn, sim, autostart bool) Menu {
	suffix := ""
	if sim {
		suffix = " [SIMULATOR]"
	}
	m := Menu{
		Status:        MenuItem{Title: "Not logged in" + suffix, Visible: true},
		Action:        MenuItem{Title: "Log in to Eliza Cloud…", Visible: true, Enabled: true},
		ActionKind:    ActionLogin,
		OpenDashboard: MenuItem{Title: "Open Dashboard", Visible: true, Enabled: true},
		TopUp:         MenuItem{Title: "Top up credits…"},
		StartAtLogin:  MenuItem{Title: "Start at login", Visible: true, Enabled: true, Checked: autostart},
		Logout:        MenuItem{Title: "Log out"},
		Quit:          MenuItem{Title: "Quit", Visible: true, Enabled: true},
		Title:         "Milady Cloud" + suffix,
		Tooltip:       "Not logged in" + suffix,
	}
	if !loggedIn {
		return m
	}
	m.Status.Title = cc.status + suffix
	m.Tooltip = cc.status + suffix
	m.Action.Title, m.ActionKind = cc.action, cc.actionKind
	m.TopUp.Visible, m.TopUp.Enabled = true, true
	m.Logout.Visible, m.Logout.Enabled = true, true
	if cr.line != "" {
		m.Balance = MenuItem{Title: cr.line, Visible: true, Enabled: true}
	}
	return m
}

// TestMenuForGolden pins two whole menus literally, so the combination test
// above cannot drift together with the code.
func TestMenuForGolden(t *testing.T) {
	connected := app.Snapshot{
		LoggedIn:    true,
		Connection:  cloud.State{State: cloud.StateConnected, AgentID: "a1", AgentName: "Remilia"},
		Credits:     app.CreditsView{Balance: ptr(1.5), Level: "low", Low: true},
		LastAgentID: "a1", LastAgentName: "Remilia",
	}
	want := Menu{
		Status:        MenuItem{Title: "Connected — Remilia", Visible: true},
		Balance:       MenuItem{Title: "Balance: $1.50 — low", Visible: true, Enabled: true},
		Action:        MenuItem{Title: "Disconnect from Remilia", Visible: true, Enabled: true},
		ActionKind:    ActionDisconnect,
		OpenDashboard: MenuItem{Title: "Open Dashboard", Visible: true, Enabled: true},
		TopUp:         MenuItem{Title: "Top up credits…", Visible: true, Enabled: true},
		StartAtLogin:  MenuItem{Title: "Start at login", Visible: true, Enabled: true, Checked: true},
		Logout:        MenuItem{Title: "Log out", Visible: true, Enabled: true},
		Quit:          MenuItem{Title: "Quit", Visible: true, Enabled: true},
		Title:         "Milady Cloud",
		Tooltip:       "Connected — Remilia",
	}
	if got := MenuFor(connected, true); got != want {
		t.Errorf("connected:\n got %+v\nwant %+v", got, want)
	}

	loggedOut := app.Snapshot{Sim: true, Credits: app.CreditsView{Balance: ptr(3)}}
	want = Menu{
		Status:        MenuItem{Title: "Not logged in [SIMULATOR]", Visible: true},
		Action:        MenuItem{Title: "Log in to Eliza Cloud…", Visible: true, Enabled: true},
		ActionKind:    ActionLogin,
		OpenDashboard: MenuItem{Title: "Open Dashboard", Visible: true, Enabled: true},
		TopUp:         MenuItem{Title: "Top up credits…"},
		StartAtLogin:  MenuItem{Title: "Start at login", Visible: true, Enabled: true},
		Logout:        MenuItem{Title: "Log out"},
		Quit:          MenuItem{Title: "Quit", Visible: true, Enabled: true},
		Title:         "Milady Cloud [SIMULATOR]",
		Tooltip:       "Not logged in [SIMULATOR]",
	}
	if got := MenuFor(loggedOut, false); got != want {
		t.Errorf("logged out:\n got %+v\nwant %+v", got, want)
	}
}

func TestMenuForAgentNames(t *testing.T) {
	disconnected := cloud.State{State: cloud.StateDisconnected}
	tests := []struct {
		name   string
		s      app.Snapshot
		action string
	}{
		{"name preferred", app.Snapshot{LoggedIn: true, Connection: disconnected, LastAgentID: "a1", LastAgentName: "Remilia"}, "Connect to Remilia"},
		{"id when no name", app.Snapshot{LoggedIn: true, Connection: disconnected, LastAgentID: "a1"}, "Connect to a1"},
		{"no last agent", app.Snapshot{LoggedIn: true, Connection: disconnected}, "Connect…"},
		{"name without id cannot connect", app.Snapshot{LoggedIn: true, Connection: disconnected, LastAgentName: "Ghost"}, "Connect…"},
		{"blank name falls back to id", app.Snapshot{LoggedIn: true, Connection: disconnected, LastAgentID: "a1", LastAgentName: "  "}, "Connect to a1"},
		{"connected without any name", app.Snapshot{LoggedIn: true, Connection: cloud.State{State: cloud.StateConnected}}, "Disconnect from agent"},
		{"long name truncated", app.Snapshot{LoggedIn: true, Connection: disconnected, LastAgentID: "a1",
			LastAgentName: "An agent whose name is far too long to fit in any reasonable tray menu at all"},
			"Connect to An agent whose name is far too long to fit in any reasonabl…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := MenuFor(tt.s, false)
			if m.Action.Title != tt.action || m.ActionKind == ActionNone {
				t.Errorf("action = %q (%v), want %q", m.Action.Title, m.ActionKind, tt.action)
			}
		})
	}
}

func TestStatusTextLongErrorIsTruncated(t *testing.T) {
	long := "upstream said: the quick brown fox jumps over the lazy dog and keeps on running far away"
	s := app.Snapshot{LoggedIn: true, Connection: cloud.State{State: cloud.StateError, LastError: long}}
	got := StatusText(s)
	if r := []rune(got); len(r) > len("Error: ")+maxReasonRunes || r[len(r)-1] != '…' {
		t.Errorf("StatusText = %q (%d runes), want at most %d runes ending in …", got, len(r), len("Error: ")+maxReasonRunes)
	}
}

func TestFormatDollars(t *testing.T) {
	tests := map[float64]string{
		12.5: "$12.50", 0: "$0.00", 0.005: "$0.01", 0.004: "$0.00", -0.3: "-$0.30",
		1234.567: "$1234.57", math.NaN(): "$?", math.Inf(1): "$?",
	}
	for in, want := range tests {
		if got := formatDollars(in); got != want {
			t.Errorf("formatDollars(%v) = %q, want %q", in, got, want)
		}
	}
}

func TestIconForBadgePriority(t *testing.T) {
	critical := app.CreditsView{Balance: ptr(0.1), Critical: true}
	tests := []struct {
		name string
		s    app.Snapshot
		want IconKey
	}{
		{"config error beats critical", app.Snapshot{LoggedIn: true, ConfigError: "bad json", Credits: critical,
			Connection: cloud.State{State: cloud.StateConnected}}, IconKey{GlyphConnected, BadgeError}},
		{"failed login when logged out", app.Snapshot{Login: app.LoginView{Status: "error"}}, IconKey{GlyphDisconnected, BadgeError}},
		{"pending login is no error", app.Snapshot{Login: app.LoginView{Status: "pending"}}, IconKey{GlyphDisconnected, BadgeNone}},
		{"logged out hides credit badge", app.Snapshot{Credits: critical}, IconKey{GlyphDisconnected, BadgeNone}},
		{"logged out ignores connection", app.Snapshot{Connection: cloud.State{State: cloud.StateConnected}}, IconKey{GlyphDisconnected, BadgeNone}},
		{"error state with critical", app.Snapshot{LoggedIn: true, Credits: critical,
			Connection: cloud.State{State: cloud.StateError}}, IconKey{GlyphError, BadgeCritical}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IconFor(tt.s); got != tt.want {
				t.Errorf("IconFor = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestActionKindString(t *testing.T) {
	for k, want := range map[ActionKind]string{ActionNone: "none", ActionConnect: "connect", ActionDisconnect: "disconnect", ActionLogin: "login"} {
		if k.String() != want {
			t.Errorf("%d.String() = %q, want %q", k, k.String(), want)
		}
	}
}
