package tray

import (
	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/cloud"
)

// Glyph is the base of the tray icon: one per connection state, told apart
// by shape as well as colour (a ring, an open arc, a disk, a disk with ×) so
// it reads without colour vision and on any panel.
type Glyph int

// The base glyphs.
const (
	GlyphDisconnected Glyph = iota // grey hollow ring (also: not logged in)
	GlyphConnecting                // blue open arc (connecting, reconnecting)
	GlyphConnected                 // green filled disk
	GlyphError                     // red disk with a white ×
)

// String names the glyph for file names and test failures.
func (g Glyph) String() string {
	switch g {
	case GlyphConnecting:
		return "connecting"
	case GlyphConnected:
		return "connected"
	case GlyphError:
		return "error"
	default:
		return "disconnected"
	}
}

// Badge is the one overlay in the icon's corner, chosen by severity:
// error > critical > low. One badge only, so the icon never becomes a
// puzzle at 16 px; the status line and tooltip say the rest in words.
type Badge int

// The badges.
const (
	BadgeNone     Badge = iota
	BadgeLow            // amber dot: balance low
	BadgeCritical       // red dot with "!": balance critical
	BadgeError          // red dot with "×": something needs attention
)

// String names the badge for file names and test failures.
func (b Badge) String() string {
	switch b {
	case BadgeLow:
		return "low"
	case BadgeCritical:
		return "critical"
	case BadgeError:
		return "error"
	default:
		return "none"
	}
}

// IconKey identifies one pre-rendered icon.
type IconKey struct {
	Base  Glyph
	Badge Badge
}

// String is "base+badge", e.g. "connected+low".
func (k IconKey) String() string { return k.Base.String() + "+" + k.Badge.String() }

// Glyphs and Badges list every value, in display order.
var (
	Glyphs = []Glyph{GlyphDisconnected, GlyphConnecting, GlyphConnected, GlyphError}
	Badges = []Badge{BadgeNone, BadgeLow, BadgeCritical, BadgeError}
)

// AllIconKeys lists every combination, glyph-major.
func AllIconKeys() []IconKey {
	keys := make([]IconKey, 0, len(Glyphs)*len(Badges))
	for _, g := range Glyphs {
		for _, b := range Badges {
			keys = append(keys, IconKey{Base: g, Badge: b})
		}
	}
	return keys
}

// IconFor picks the icon for a snapshot. The base follows the connection
// (logged out counts as disconnected). The badge is an error badge when the
// app needs attention outside the connection (the config file is broken, or
// the last login failed), else the credit level, which the Service computed.
func IconFor(s app.Snapshot) IconKey {
	k := IconKey{Base: glyphFor(s)}
	switch {
	case s.ConfigError != "" || s.KeyRejected || (!s.LoggedIn && s.Login.Status == "error"):
		k.Badge = BadgeError
	case s.LoggedIn && s.Credits.Balance != nil:
		switch creditLevel(s.Credits) {
		case levelCritical:
			k.Badge = BadgeCritical
		case levelLow:
			k.Badge = BadgeLow
		}
	}
	return k
}

func glyphFor(s app.Snapshot) Glyph {
	if !s.LoggedIn {
		return GlyphDisconnected
	}
	switch s.Connection.State {
	case cloud.StateConnected:
		return GlyphConnected
	case cloud.StateConnecting, cloud.StateReconnecting:
		return GlyphConnecting
	case cloud.StateError:
		return GlyphError
	default:
		return GlyphDisconnected
	}
}

// IconSet holds every icon rendered once at start, so a state change never
// draws or encodes on the tray's event loop.
type IconSet map[IconKey][]byte

// RenderIcons renders every IconKey at size×size pixels as PNG.
func RenderIcons(size int) IconSet {
	set := make(IconSet, len(Glyphs)*len(Badges))
	for _, k := range AllIconKeys() {
		set[k] = RenderIcon(k, size)
	}
	return set
}
