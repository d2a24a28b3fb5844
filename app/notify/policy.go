// Package notify decides when the user gets a desktop notification
// and delivers it.
//
// The decision is a pure, edge-triggered policy: Policy.Observe looks at one
// change of state and returns the alerts it deserves, so a balance that
// stays low for a hundred polls alerts once, not a hundred times. Senders
// (D-Bus, the log) are separate and know nothing of the rules.
package notify

import (
	"fmt"
	"math"
	"sync"

	"github.com/milady-ai/milady-cloud/cloud"
)

// Input is the part of the app's state the policy looks at.
type Input struct {
	LoggedIn   bool
	HasBalance bool // false until the balance is known, or after a failed fetch
	Balance    float64
	// ConnState is disconnected, connecting, connected, reconnecting or error.
	ConnState string
	AgentName string
	// UserAction marks a change the user caused (Disconnect, Log out,
	// Connect): connection alerts are never raised for it.
	UserAction bool
}

// Alert kinds and ids. An alert's ID is stable per kind so that a new alert
// replaces the one before it on screen (critical replaces low, reconnected
// replaces lost).
const (
	KindCredits    = "credits"
	KindConnection = "connection"
)

// Urgencies, as the freedesktop notification spec numbers them.
const (
	UrgencyLow      byte = 0
	UrgencyNormal   byte = 1
	UrgencyCritical byte = 2
)

// Alert is one notification to show.
type Alert struct {
	Kind  string // KindCredits or KindConnection
	ID    string // stable per kind: "credits", "connection"
	Level string // "normal" or "critical"
	Title string
	// Body is a whole sentence that stands alone (the dashboard shows it
	// as the notice text).
	Body    string
	Urgency byte
}

// Policy remembers what was already said. The zero value is not ready; use
// NewPolicy. It is safe for concurrent use, though the app calls it from
// one goroutine.
type Policy struct {
	mu sync.Mutex
	// lowArmed: the next fall below $2.00 alerts. Disarmed by a low (or
	// critical) alert, re-armed when the balance is back at $2.00 or more.
	lowArmed bool
	// criticalArmed: the next fall below $0.50 alerts. Re-armed at $0.50.
	criticalArmed bool
	// outageNotified: a "connection lost" alert was shown and no
	// reconnection has happened since.
	outageNotified bool
}

// NewPolicy returns a policy with both credit alerts armed and no outage.
func NewPolicy() *Policy {
	return &Policy{lowArmed: true, criticalArmed: true}
}

// Observe returns the alerts for the change from prev to next.
//
// Credits: an alert when the balance falls into low and when it falls into
// critical, each once until the balance climbs back over that threshold
// (hysteresis), so polls that keep finding a low balance stay quiet, and a
// critical balance that recovers to merely low does not alert "low" again.
// A balance that is not known (HasBalance false) changes nothing; logging out
// re-arms both, so the next account's low balance is reported. The credit
// alerts are about the balance, not about an action, so UserAction does not
// silence them.
//
// Connection: "lost" once per outage, when reconnecting gives up (the state
// leaves reconnecting for error or disconnected without the user asking);
// "reconnected" when the connection comes back after such an alert, and
// only then. A change the user caused never alerts and ends the outage.
//
// The policy does not know desktop.notifications: the caller drops the
// alerts when it is off.
func (p *Policy) Observe(prev, next Input) []Alert {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []Alert
	if a, ok := p.credits(next); ok {
		out = append(out, a)
	}
	if a, ok := p.connection(prev, next); ok {
		out = append(out, a)
	}
	return out
}

func (p *Policy) credits(next Input) (Alert, bool) {
	if !next.LoggedIn {
		p.lowArmed, p.criticalArmed = true, true
		return Alert{}, false
	}
	if !next.HasBalance || math.IsNaN(next.Balance) {
		return Alert{}, false
	}
	switch cloud.LevelFor(next.Balance) {
	case cloud.CreditOK:
		p.lowArmed, p.criticalArmed = true, true
	case cloud.CreditLow:
		p.criticalArmed = true
		if p.lowArmed {
			p.lowArmed = false
			return lowAlert(next.Balance), true
		}
	case cloud.CreditCritical:
		p.lowArmed = false // recovering to low later is not news
		if p.criticalArmed {
			p.criticalArmed = false
			return criticalAlert(next.Balance), true
		}
	}
	return Alert{}, false
}

func (p *Policy) connection(prev, next Input) (Alert, bool) {
	if prev.ConnState == next.ConnState {
		return Alert{}, false
	}
	if next.UserAction {
		// The user took over (disconnect, log-out, connect): nothing to
		// tell them, and any outage they were told about is theirs now.
		p.outageNotified = false
		return Alert{}, false
	}
	gaveUp := prev.ConnState == "reconnecting" && (next.ConnState == "error" || next.ConnState == "disconnected")
	switch {
	case gaveUp && !p.outageNotified:
		p.outageNotified = true
		return lostAlert(next.AgentName), true
	case next.ConnState == "connected" && p.outageNotified:
		p.outageNotified = false
		return reconnectedAlert(next.AgentName), true
	}
	return Alert{}, false
}

// newAlert builds an alert of a kind. Its ID is the kind, so it replaces
// the kind's earlier alert on screen, and its Level follows the urgency.
func newAlert(kind string, urgency byte, title, body string) Alert {
	level := "normal"
	if urgency == UrgencyCritical {
		level = "critical"
	}
	return Alert{Kind: kind, ID: kind, Level: level, Urgency: urgency, Title: title, Body: body}
}

func lowAlert(balance float64) Alert {
	return newAlert(KindCredits, UrgencyNormal, "Eliza Cloud credits are low",
		fmt.Sprintf("Eliza Cloud credits are low: %s left. Top up to keep your agent running.", dollars(balance)))
}

func criticalAlert(balance float64) Alert {
	return newAlert(KindCredits, UrgencyCritical, "Eliza Cloud credits are almost gone",
		fmt.Sprintf("Eliza Cloud credits are almost gone: %s left. Top up now or your agent will stop.", dollars(balance)))
}

func lostAlert(agent string) Alert {
	return newAlert(KindConnection, UrgencyNormal, "Connection lost",
		fmt.Sprintf("Lost the connection to %s and could not reconnect. Open Milady Cloud to connect again.", agentLabel(agent)))
}

func reconnectedAlert(agent string) Alert {
	return newAlert(KindConnection, UrgencyLow, "Reconnected", fmt.Sprintf("Reconnected to %s.", agentLabel(agent)))
}

func agentLabel(name string) string {
	if name == "" {
		return "your agent"
	}
	return name
}

// dollars formats an amount as $1.50 (or -$0.20 for a debt).
func dollars(v float64) string {
	v = math.Round(v*100) / 100
	if v == 0 {
		v = 0 // no "-0.00"
	}
	if v < 0 {
		return fmt.Sprintf("-$%.2f", -v)
	}
	return fmt.Sprintf("$%.2f", v)
}
